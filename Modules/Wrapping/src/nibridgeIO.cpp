/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeITKImageIOs.h"
#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeImageIOList.h"
#include "itkNiBridgeText.h"
#include "itkNumPyImageIO.h"
#include "itkImageIOBase.h"

#include <algorithm>
#include <cctype>
#include <complex>
#include <filesystem>
#include <optional>
#include <string>

namespace nibridge
{
namespace
{
using IOPixel = itk::IOPixelEnum;

/** nibridge.GeometryWarning: what imwrite warns when the file's format does not hold the image's geometry. */
PyObject *
GeometryWarning()
{
  static PyObject * warning = PyErr_NewExceptionWithDoc(
    "nibridge.GeometryWarning",
    "imwrite wrote a file whose format does not hold the image's geometry (spacing, origin, direction). "
    "Turn it into an error with warnings.simplefilter('error', nibridge.GeometryWarning).",
    PyExc_UserWarning,
    nullptr);
  return warning;
}

/** An error found without the GIL, raised as a Python exception once it is held again. */
struct IOError
{
  PyObject *  type;
  std::string message;
};

[[noreturn]] void
Raise(const IOError & error)
{
  PyErr_SetString(error.type, error.message.c_str());
  throw py::error_already_set();
}

/** Whether the format writes a header and a data file named one after the other (MetaImage, Analyze/NIfTI
 * pairs, detached NRRD): a temporary file renamed afterwards would leave the header naming the wrong data
 * file, so these are written in place. */
bool
WritesSeveralFiles(std::string path)
{
  std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const std::string extension : { ".mhd", ".hdr", ".hdr.gz", ".img", ".img.gz", ".nhdr" })
  {
    if (path.size() > extension.size() &&
        path.compare(path.size() - extension.size(), extension.size(), extension) == 0)
    {
      return true;
    }
  }
  return false;
}

/** "<function>: \"<path>\": <reason>", naming the file once, in one line. */
std::string
Failure(const char * function, const std::string & path, const std::string & description)
{
  return std::string(function) + ": " + itk::nibridge::NamingTheFile(path, itk::nibridge::OneLineReason(description));
}

/** The ImageIO for a file from NiBridge's one ordered list (itk::nibridge::ImageIOList), or an error naming it. Runs
 * without the GIL. */
itk::ImageIOBase::Pointer
CreateImageIO(const std::string & path, itk::IOFileModeEnum mode, std::optional<IOError> & error)
{
  const bool      reading = mode == itk::IOFileModeEnum::ReadMode;
  std::error_code ignored;
  if (reading && !std::filesystem::exists(std::filesystem::symlink_status(path, ignored)))
  {
    error = IOError{ PyExc_FileNotFoundError, Failure("imread", path, "no such file") };
    return nullptr;
  }
  itk::ImageIOBase::Pointer imageIO = itk::nibridge::ImageIOList::CreateImageIO(path, mode);
  if (imageIO.IsNull())
  {
    error = IOError{ reading ? PyExc_OSError : PyExc_ValueError,
                     reading ? Failure("imread", path, "no ImageIO can read this file (unknown or malformed format)")
                             : Failure("imwrite", path, "no ImageIO writes this file name's extension") };
  }
  return imageIO;
}

/** The values imread is asked for: nibabel's "scaled" ones (numpy.asarray(img.dataobj)), the "raw" stored ones, or
 * "float64" (img.get_fdata()). */
void
SetValues(itk::ImageIOBase & imageIO, const std::string & values)
{
  if (auto * nibabelRule = dynamic_cast<itk::NiBridgeImageIOBase *>(&imageIO))
  {
    nibabelRule->SetValuesName(values);
  }
  itk::nibridge::TakeMetaDataAfterRead(imageIO); // the dictionary is taken after Read(): one pass over a .mgz
}

std::unique_ptr<Image>
ImageRead(const std::string & path, const std::string & values)
{
  if (values != "scaled" && values != "raw" && values != "float64")
  {
    throw py::value_error("imread: values must be 'scaled', 'raw' or 'float64', not " +
                          py::repr(py::str(values)).cast<std::string>());
  }
  std::optional<IOError>    error;
  itk::ImageIOBase::Pointer imageIO;
  {
    // NiBabelImageIO takes the GIL itself when it runs Python.
    py::gil_scoped_release release;
    try
    {
      imageIO = CreateImageIO(path, itk::IOFileModeEnum::ReadMode, error);
      if (imageIO)
      {
        SetValues(*imageIO, values);
        imageIO->SetFileName(path);
        imageIO->ReadImageInformation();
      }
    }
    catch (const itk::ExceptionObject & exception)
    {
      error = IOError{ PyExc_OSError, Failure("imread", path, exception.GetDescription()) };
    }
  }
  if (error)
  {
    Raise(*error);
  }

  const unsigned int dimension = imageIO->GetNumberOfDimensions();
  const IOPixel      pixel = imageIO->GetPixelType();
  const unsigned int numberOfComponents = imageIO->GetNumberOfComponents();
  const auto         component =
    itk::nibridge::ComponentTypeFromIOComponent(imageIO->GetComponentType(), pixel, numberOfComponents);
  if (!component)
  {
    throw py::type_error(Failure("imread",
                                 path,
                                 std::string("its pixels (") + itk::ImageIOBase::GetPixelTypeAsString(pixel) + " of " +
                                   itk::ImageIOBase::GetComponentTypeAsString(imageIO->GetComponentType()) +
                                   ") have no NiBridge dtype"));
  }
  if (dimension < 2 || dimension > 4)
  {
    throw py::value_error(Failure(
      "imread", path, "a " + std::to_string(dimension) + "-dimensional image; NiBridge holds 2, 3 and 4 dimensions"));
  }
  const bool                      isComplex = pixel == IOPixel::COMPLEX;
  const bool                      isVector = !isComplex && numberOfComponents > 1;
  std::vector<itk::SizeValueType> size(dimension);
  itk::ImageIORegion              region(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    size[axis] = imageIO->GetDimensions(axis);
    region.SetIndex(axis, 0);
    region.SetSize(axis, size[axis]);
  }
  const auto & operations = OperationsFor(ImageKind{ *component, dimension, isVector });
  auto         image = std::make_unique<Image>(operations, operations.New(size, isVector ? numberOfComponents : 1));
  try
  {
    SetGeometry(*image, itk::nibridge::GeometryOf(*imageIO));
  }
  catch (const itk::ExceptionObject & exception)
  {
    throw py::value_error(Failure("imread", path, exception.GetDescription()));
  }
  if ((pixel == IOPixel::RGB && numberOfComponents == 3) || (pixel == IOPixel::RGBA && numberOfComponents == 4))
  {
    image->SetPixelType(pixel == IOPixel::RGB ? PixelType::RGB : PixelType::RGBA, "imread");
  }
  operations.Allocate(image->ItkImage(), false);
  void * buffer = operations.Buffer(image->ItkImage());
  {
    py::gil_scoped_release release;
    try
    {
      imageIO->SetIORegion(region);
      imageIO->Read(buffer);
    }
    catch (const itk::ExceptionObject & exception)
    {
      error = IOError{ PyExc_OSError, Failure("imread", path, exception.GetDescription()) };
    }
  }
  if (error)
  {
    Raise(*error);
  }
  // The reader's metadata, with the file's own affine where the reader keeps it; after Read(), which completes it
  // where the header alone does not hold everything (the footer of a .mgz).
  image->ItkImage().SetMetaDataDictionary(imageIO->GetMetaDataDictionary());
  return image;
}

void
ImageWrite(const Image & image, const std::string & path, bool compress)
{
  const auto & operations = image.Operations();
  const auto   kind = operations.Kind();
  const auto   component = itk::nibridge::IOComponentOf(kind.component);
  if (!component)
  {
    throw py::type_error(
      Failure("imwrite",
              path,
              "bool images have no file component type; write a uint8 copy instead: "
              "nibridge.image_from_array(nibridge.array_view_from_image(image).astype(numpy.uint8), "
              "is_vector=image.is_vector, spacing=image.spacing, origin=image.origin, direction=image.direction)"));
  }
  const bool   isComplex = itk::nibridge::IsComplex(kind.component);
  const auto & itkImage = image.ItkImage();
  const auto   size = operations.BufferedSize(itkImage);
  const auto   geometry = GeometryOf(image);
  const void * buffer = operations.Buffer(itkImage);
  const auto   numberOfComponents = image.NumberOfComponents();
  const auto   pixelType = isComplex                                 ? IOPixel::COMPLEX
                           : image.GetPixelType() == PixelType::RGB  ? IOPixel::RGB
                           : image.GetPixelType() == PixelType::RGBA ? IOPixel::RGBA
                           : kind.isVector                           ? IOPixel::VECTOR
                                                                     : IOPixel::SCALAR;

  std::optional<IOError> error;
  std::string            geometryLoss;
  std::string            compressionIgnored;
  py::gil_scoped_release release;
  try
  {
    auto imageIO = CreateImageIO(path, itk::IOFileModeEnum::WriteMode, error);
    if (imageIO)
    {
      const unsigned int dimension = kind.dimension;
      imageIO->SetNumberOfDimensions(dimension);
      itk::ImageIORegion region(dimension);
      for (unsigned int axis = 0; axis < dimension; ++axis)
      {
        imageIO->SetDimensions(axis, size[axis]);
        region.SetIndex(axis, 0);
        region.SetSize(axis, size[axis]);
      }
      itk::nibridge::SetGeometry(*imageIO, geometry);
      imageIO->SetComponentType(*component);
      imageIO->SetPixelType(pixelType);
      imageIO->SetNumberOfComponents(isComplex ? 2 : numberOfComponents);
      imageIO->SetUseCompression(compress);
      // NiBridge's own writers compress by the file's name alone (.nii.gz, .mgz, ...): never ignore compress=True
      // without a word.
      const bool byName = dynamic_cast<const itk::NiBridgeImageIOBase *>(imageIO.GetPointer()) != nullptr ||
                          dynamic_cast<const itk::NumPyImageIO *>(imageIO.GetPointer()) != nullptr;
      const std::string lowerPath = itk::nibridge::LowerCase(path);
      if (compress && byName && !itk::nibridge::EndsWith(lowerPath, ".gz") &&
          !itk::nibridge::EndsWith(lowerPath, ".mgz"))
      {
        compressionIgnored = std::string("compress=True has no effect: ") + imageIO->GetNameOfClass() +
                             " compresses by the file name only (.nii.gz, .hdr.gz, .mgz), and this one is written "
                             "uncompressed";
      }
      // As ImageFileWriter does: the image's metadata, with the affine it keeps (NiBabelImageIO writes it).
      imageIO->SetMetaDataDictionary(itkImage.GetMetaDataDictionary());
      imageIO->SetIORegion(region);
      // Single-file formats go to a temporary file beside the target, renamed over it once whole: by NiBridge's own
      // writers themselves, by imwrite for ITK's.
      std::optional<itk::nibridge::AtomicFileWriter> temporary;
      if (!WritesSeveralFiles(path) && !itk::nibridge::WritesAtomically(*imageIO))
      {
        temporary.emplace(path, itk::nibridge::AtomicFileWriter::TemporaryName::KeepsFileName);
      }
      const std::string written = temporary ? temporary->GetTemporaryFileName() : path;
      imageIO->SetFileName(written);
      imageIO->Write(buffer);
      // ITK 5.2's NIfTI writer reports an unopenable file on stderr only.
      std::error_code sizeError;
      if (!std::filesystem::exists(written) || std::filesystem::file_size(written, sizeError) == 0)
      {
        error = IOError{ PyExc_OSError,
                         Failure("imwrite",
                                 path,
                                 std::string(imageIO->GetNameOfClass()) +
                                   " wrote no file (does the directory exist, is it writable?)") };
      }
      else
      {
        if (temporary)
        {
          // ITK's writers only print a line when the disk is full: read the file back before it replaces the target.
          itk::nibridge::CheckWrittenImage(written, path, *imageIO, buffer);
          temporary->Commit();
        }
        // Never silently: a format that does not hold the geometry gets a GeometryWarning (an error, if asked). The
        // file is written whatever the check finds: a check that cannot read it back says so in the warning.
        try
        {
          geometryLoss = itk::nibridge::DescribeGeometryLoss(path, geometry);
        }
        catch (const itk::ExceptionObject & exception)
        {
          geometryLoss =
            "its geometry cannot be read back to check it: " + itk::nibridge::OneLineReason(exception.GetDescription());
        }
      }
    }
  }
  catch (const itk::ExceptionObject & exception)
  {
    error = IOError{ PyExc_OSError, Failure("imwrite", path, exception.GetDescription()) };
  }
  if (error)
  {
    py::gil_scoped_acquire gil;
    Raise(*error);
  }
  if (!compressionIgnored.empty())
  {
    py::gil_scoped_acquire gil;
    if (PyErr_WarnEx(PyExc_UserWarning, Failure("imwrite", path, compressionIgnored).c_str(), 2) != 0)
    {
      throw py::error_already_set();
    }
  }
  if (!geometryLoss.empty())
  {
    py::gil_scoped_acquire gil;
    if (PyErr_WarnEx(GeometryWarning(), Failure("imwrite", path, geometryLoss).c_str(), 2) != 0)
    {
      throw py::error_already_set();
    }
  }
}

std::string
PathText(const py::object & path)
{
  return py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
}
} // namespace

void
init_io(py::module_ & module)
{
  // NiBridge's one ordered list of readers and writers, with every entry: ITK's ImageIOs and NiBabelImageIO (in the
  // Python running this module) beside the native ones.
  // ITK's are created when a file first reaches their entry: no ImageIO of ITK's is made at import.
  itk::nibridge::ImageIOList::SetLazyProvider(itk::nibridge::ImageIOProvider::ITK, &itk::nibridge::ProvideITKImageIOs);
  itk::nibridge::ProvidePythonBridgeImageIOs();
  module.attr("GeometryWarning") = py::handle(GeometryWarning());
  module.def(
    "_component_types",
    []() {
      py::dict codes;
      for (const auto type : itk::nibridge::AllComponentTypes)
      {
        codes[py::str(itk::nibridge::ComponentTypeName(type))] = static_cast<int>(type);
      }
      return codes;
    },
    "NiBridge's component types (Core's one table): NumPy dtype names to codes, for the nibabel-side module.");
  module.def(
    "imread",
    [](const py::object & path, const std::string & values) { return ImageRead(PathText(path), values); },
    py::arg("path"),
    py::kw_only(),
    py::arg("values") = "scaled",
    R"doc(Reads an image file into a new nibridge.Image, with its geometry (LPS).

The reader is the first of NiBridge's one ordered list that takes the file: NIfTI-1/2, Analyze and MGH/MGZ are
read natively with nibabel's rules (bit for bit nibabel's values and affine), .npy natively, every other nibabel
format through nibabel in this Python, everything else through ITK's ImageIOs. ``values`` picks nibabel's values:
"scaled" (the default) is ``numpy.asarray(img.dataobj)``, "raw" the stored values, "float64" exactly
``img.get_fdata()``. The pixel type and dimension are the file's. The GIL is released while the file is read.
Raises FileNotFoundError for a missing file, OSError naming the file and the reason for an unreadable or malformed
one, TypeError for pixels NiBridge cannot hold.)doc");
  module.def(
    "imwrite",
    [](const Image & image, const py::object & path, bool compress) { ImageWrite(image, PathText(path), compress); },
    py::arg("image"),
    py::arg("path"),
    py::arg("compress") = false,
    R"doc(Writes an image through ITK's ImageIO factory, chosen by the file name's extension (.npy, .nii,
.nii.gz, .nrrd, .mha, .mgz, ...), with its geometry; "rgb" / "rgba" images as RGB / RGBA pixels. The GIL
is released while ITK writes. Single-file formats are written to a hidden temporary file beside the target
and renamed over it, so the file appears whole or not at all and a failed write leaves an existing file
untouched; header + data pairs (.mhd, .hdr/.img, .nhdr) are written in place. NIfTI (.nii, .nii.gz, .hdr/.img)
is written as nibabel writes it: the image's affine as the sform, exactly, shears included. The file's geometry is
read back: where its format does not hold the image's (.npy holds none, PNG no direction...), a
nibridge.GeometryWarning says what was lost. Raises ValueError for an extension no ImageIO writes, OSError naming
the file and the reason when writing fails, TypeError for bool images.)doc");
}

} // namespace nibridge
