/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

// No itkImageFileReader.h: it would register every ImageIO factory with ITK (see ImageIOCreators).
#include "itkBMPImageIO.h"
#include "itkBioRadImageIO.h"
#include "itkBruker2dseqImageIO.h"
#include "itkGDCMImageIO.h"
#include "itkGE4ImageIO.h"
#include "itkGE5ImageIO.h"
#include "itkGiplImageIO.h"
#include "itkHDF5ImageIO.h"
#include "itkJPEGImageIO.h"
#include "itkJPEG2000ImageIO.h"
#include "itkLSMImageIO.h"
#include "itkMINCImageIO.h"
#include "itkMRCImageIO.h"
#include "itkMetaImageIO.h"
#include "itkNiBabelImageIO.h"
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiftiImageIO.h"
#include "itkNrrdImageIO.h"
#include "itkNumPyImageIO.h"
#include "itkPNGImageIO.h"
#include "itkStimulateImageIO.h"
#include "itkTIFFImageIO.h"
#include "itkVTKImageIO.h"
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

template<typename TImageIO>
itk::ImageIOBase::Pointer
New()
{
  return TImageIO::New().GetPointer();
}

/** The ImageIOs imread and imwrite try, in order: nibabel's formats in front (as NiBabelImageIOFactory
 * registers itself), ITK's in the order ITK registers them, then .npy. They are kept here, not registered
 * with ITK's object factories, because every itk::Image::New() asks each registered factory for an
 * override: with twenty-two ImageIO factories that lookup cost more than the rest of an image view. */
constexpr itk::ImageIOBase::Pointer (*ImageIOCreators[])() = {
  &New<itk::NiBabelImageIO>, &New<itk::BMPImageIO>,  &New<itk::BioRadImageIO>,    &New<itk::Bruker2dseqImageIO>,
  &New<itk::GDCMImageIO>,    &New<itk::GE4ImageIO>,  &New<itk::GE5ImageIO>,       &New<itk::GiplImageIO>,
  &New<itk::HDF5ImageIO>,    &New<itk::JPEGImageIO>, &New<itk::JPEG2000ImageIO>,  &New<itk::LSMImageIO>,
  &New<itk::MINCImageIO>,    &New<itk::MRCImageIO>,  &New<itk::MetaImageIO>,      &New<itk::NiftiImageIO>,
  &New<itk::NrrdImageIO>,    &New<itk::PNGImageIO>,  &New<itk::StimulateImageIO>, &New<itk::TIFFImageIO>,
  &New<itk::VTKImageIO>,     &New<itk::NumPyImageIO>
};

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

std::string
Quoted(const std::string & path)
{
  return "'" + path + "'";
}

/** The ImageIO for a file, or an error naming it. Runs without the GIL. */
itk::ImageIOBase::Pointer
CreateImageIO(const std::string & path, itk::IOFileModeEnum mode, std::optional<IOError> & error)
{
  const bool reading = mode == itk::IOFileModeEnum::ReadMode;
  if (reading && !std::filesystem::exists(path))
  {
    error = IOError{ PyExc_FileNotFoundError, "imread: " + Quoted(path) + ": no such file" };
    return nullptr;
  }
  itk::ImageIOBase::Pointer imageIO;
  for (const auto create : ImageIOCreators)
  {
    auto candidate = create();
    if (reading ? candidate->CanReadFile(path.c_str()) : candidate->CanWriteFile(path.c_str()))
    {
      imageIO = candidate;
      break;
    }
  }
  if (imageIO.IsNull())
  {
    error = IOError{ reading ? PyExc_OSError : PyExc_ValueError,
                     std::string(reading ? "imread: " : "imwrite: ") + Quoted(path) +
                       (reading ? ": no ImageIO can read this file (unknown or malformed format)"
                                : ": no ImageIO writes this file name's extension") };
  }
  return imageIO;
}

std::unique_ptr<Image>
ImageRead(const std::string & path)
{
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
        imageIO->SetFileName(path);
        imageIO->ReadImageInformation();
      }
    }
    catch (const itk::ExceptionObject & exception)
    {
      error = IOError{ PyExc_OSError, "imread: " + Quoted(path) + ": " + exception.GetDescription() };
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
    throw py::type_error("imread: " + Quoted(path) + ": its pixels (" + itk::ImageIOBase::GetPixelTypeAsString(pixel) +
                         " of " + itk::ImageIOBase::GetComponentTypeAsString(imageIO->GetComponentType()) +
                         ") have no NiBridge dtype");
  }
  if (dimension < 2 || dimension > 4)
  {
    throw py::value_error("imread: " + Quoted(path) + ": a " + std::to_string(dimension) +
                          "-dimensional image; NiBridge holds 2, 3 and 4 dimensions");
  }
  const bool                      isComplex = pixel == IOPixel::COMPLEX;
  const bool                      isVector = !isComplex && numberOfComponents > 1;
  std::vector<itk::SizeValueType> size(dimension);
  std::vector<double>             spacing(dimension), origin(dimension), direction(dimension * dimension);
  itk::ImageIORegion              region(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    size[axis] = imageIO->GetDimensions(axis);
    spacing[axis] = imageIO->GetSpacing(axis);
    origin[axis] = imageIO->GetOrigin(axis);
    const auto column = imageIO->GetDirection(axis);
    for (unsigned int row = 0; row < dimension; ++row)
    {
      direction[row * dimension + axis] = row < column.size() ? column[row] : (row == axis ? 1.0 : 0.0);
    }
    region.SetIndex(axis, 0);
    region.SetSize(axis, size[axis]);
  }
  const auto & operations = OperationsFor(ImageKind{ *component, dimension, isVector });
  auto         image = std::make_unique<Image>(operations, operations.New(size, isVector ? numberOfComponents : 1));
  try
  {
    operations.SetSpacing(image->ItkImage(), spacing.data());
    operations.SetOrigin(image->ItkImage(), origin.data());
    operations.SetDirection(image->ItkImage(), direction.data());
  }
  catch (const itk::ExceptionObject & exception)
  {
    throw py::value_error("imread: " + Quoted(path) + ": " + exception.GetDescription());
  }
  if ((pixel == IOPixel::RGB && numberOfComponents == 3) || (pixel == IOPixel::RGBA && numberOfComponents == 4))
  {
    image->SetPixelType(pixel == IOPixel::RGB ? PixelType::RGB : PixelType::RGBA, "imread");
  }
  // The reader's metadata, with the file's own affine where the reader keeps it (NiBabelImageIO).
  image->ItkImage().SetMetaDataDictionary(imageIO->GetMetaDataDictionary());
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
      error = IOError{ PyExc_OSError, "imread: " + Quoted(path) + ": " + exception.GetDescription() };
    }
  }
  if (error)
  {
    Raise(*error);
  }
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
    throw py::type_error("imwrite: " + Quoted(path) +
                         ": bool images have no file component type; write image.astype(numpy.uint8) instead");
  }
  const bool   isComplex = itk::nibridge::IsComplex(kind.component);
  const auto & itkImage = image.ItkImage();
  const auto   size = operations.BufferedSize(itkImage);
  const auto   spacing = operations.Spacing(itkImage);
  const auto   origin = operations.Origin(itkImage);
  const auto   direction = operations.Direction(itkImage);
  const void * buffer = operations.Buffer(itkImage);
  const auto   numberOfComponents = image.NumberOfComponents();
  const auto   pixelType = isComplex                                 ? IOPixel::COMPLEX
                           : image.GetPixelType() == PixelType::RGB  ? IOPixel::RGB
                           : image.GetPixelType() == PixelType::RGBA ? IOPixel::RGBA
                           : kind.isVector                           ? IOPixel::VECTOR
                                                                     : IOPixel::SCALAR;

  std::optional<IOError> error;
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
        imageIO->SetSpacing(axis, spacing[axis]);
        imageIO->SetOrigin(axis, origin[axis]);
        std::vector<double> column(dimension);
        for (unsigned int row = 0; row < dimension; ++row)
        {
          column[row] = direction[row * dimension + axis];
        }
        imageIO->SetDirection(axis, column);
        region.SetIndex(axis, 0);
        region.SetSize(axis, size[axis]);
      }
      imageIO->SetComponentType(*component);
      imageIO->SetPixelType(pixelType);
      imageIO->SetNumberOfComponents(isComplex ? 2 : numberOfComponents);
      imageIO->SetUseCompression(compress);
      // As ImageFileWriter does: the image's metadata, with the affine it keeps (NiBabelImageIO writes it).
      imageIO->SetMetaDataDictionary(itkImage.GetMetaDataDictionary());
      imageIO->SetIORegion(region);
      // Single-file formats go to a temporary file beside the target, renamed over it once whole.
      std::optional<itk::nibridge::AtomicFileWriter> temporary;
      if (!WritesSeveralFiles(path))
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
                         "imwrite: " + Quoted(path) + ": " + imageIO->GetNameOfClass() +
                           " wrote no file (does the directory exist, is it writable?)" };
      }
      else if (temporary)
      {
        temporary->Commit();
      }
    }
  }
  catch (const itk::ExceptionObject & exception)
  {
    error = IOError{ PyExc_OSError, "imwrite: " + Quoted(path) + ": " + exception.GetDescription() };
  }
  if (error)
  {
    py::gil_scoped_acquire gil;
    Raise(*error);
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
  module.def(
    "imread",
    [](const py::object & path) { return ImageRead(PathText(path)); },
    py::arg("path"),
    R"doc(Reads an image file into a new nibridge.Image, with its geometry (LPS).

Any format ITK's ImageIO factory reads, .npy (NumPyImageIO) and every nibabel format (NiBabelImageIO, in
the Python running this call). The pixel type and dimension are the file's. The GIL is released while ITK
reads. Raises FileNotFoundError for a missing file, OSError naming the file and ITK's reason for an
unreadable or malformed one, TypeError for pixels NiBridge cannot hold.)doc");
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
untouched; header + data pairs (.mhd, .hdr/.img, .nhdr) are written in place. Raises ValueError for an
extension no ImageIO writes, OSError naming the file and ITK's reason when writing fails, TypeError for
bool images.)doc");
}

} // namespace nibridge
