/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeImageIOList.h"

#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeGuardImageIO.h"
#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeIsolatedImageIO.h"
#include "itkNiBridgeMGHImageIO.h"
#include "itkNiBridgeNiftiImageIO.h"
#include "itkNiBridgeReadGuard.h"
#include "itkNumPyImageIOFactory.h"
#include "itkSingleton.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <sstream>
#include <cmath>

namespace itk
{
namespace nibridge
{
namespace
{
/** What has been provided, and the lazy providers not called yet. */
struct ProvidedState
{
  std::mutex                                              mutex;
  std::map<ImageIOProvider, std::vector<ProvidedImageIO>> provided;
  std::map<ImageIOProvider, std::function<void()>>        lazy;

  ProvidedState()
  {
    // Before the first ImageIO is made: making one may be ITK's first factory lookup, which loads ITK_AUTOLOAD_PATH's
    // plugins, NiBridge's among them, which must then find the claim taken.
    ImageIOList::ClaimITK(ImageIORegistration::Program);
    provided[ImageIOProvider::Core] = { ProvidedImageIOOf<NiBridgeGuardImageIO>(),
                                        ProvidedImageIOOf<NiBridgeNiftiImageIO>(),
                                        ProvidedImageIOOf<NiBridgeMGHImageIO>(),
                                        ProvidedImageIOOf<NumPyImageIO>(),
                                        ProvidedImageIOOf<NiBridgeIsolatedImageIO>() };
  }
};

ProvidedState &
State()
{
  static ProvidedState state;
  return state;
}

/** The provided ImageIOs of an entry, in order: the class of a named entry, all of ITK's for the ITK entry. Calls the
 * provider's lazy function first if nothing was provided yet. */
std::vector<ProvidedImageIO>
ImageIOsOf(const ImageIOListEntry & entry)
{
  ProvidedState &       state = State();
  std::function<void()> provide;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    const auto                  found = state.provided.find(entry.provider);
    if (found == state.provided.end() || found->second.empty())
    {
      const auto lazy = state.lazy.find(entry.provider);
      if (lazy != state.lazy.end())
      {
        provide = std::move(lazy->second);
        state.lazy.erase(lazy);
      }
    }
  }
  if (provide)
  {
    provide(); // outside the lock: it calls Provide
  }
  std::lock_guard<std::mutex>  lock(state.mutex);
  std::vector<ProvidedImageIO> imageIOs;
  for (const ProvidedImageIO & imageIO : state.provided[entry.provider])
  {
    if (entry.className[0] == '\0' || imageIO.className == entry.className)
    {
      imageIOs.push_back(imageIO);
    }
  }
  return imageIOs;
}

bool
InPlugin(const ImageIOListEntry & entry)
{
  return entry.pluginDefault ||
         (std::string(entry.className) == "NiBridgeNiftiImageIO" && ImageIOList::PluginTakesNIfTI());
}
} // namespace

const std::vector<ImageIOListEntry> &
ImageIOList::GetEntries()
{
  static const std::vector<ImageIOListEntry> entries = {
    { "NiBridgeGuardImageIO",
      ImageIOProvider::Core,
      "refuse an input that is no readable regular file (a FIFO, a device, a directory) before any reader opens it",
      true },
    { "NiBridgeNiftiImageIO",
      ImageIOProvider::Core,
      "read NIfTI-1, NIfTI-2 and Analyze (.nii, .nii.gz, .hdr/.img) natively with nibabel's rules; write NIfTI-1 and "
      "NIfTI-2 as nibabel does",
      false },
    { "NiBridgeMGHImageIO", ImageIOProvider::Core, "read MGH/MGZ natively with nibabel's rules", true },
    { "NumPyImageIO", ImageIOProvider::Core, "read and write .npy", true },
    { "NiBabelImageIO",
      ImageIOProvider::PythonBridge,
      "read MINC, PAR/REC, AFNI, ECAT, CIFTI-2 and the NIfTI/MGH files the native readers leave to nibabel; write "
      "MGH/MGZ (and NIfTI-2, CIFTI-2)",
      true },
    { "NiBridgeIsolatedImageIO",
      ImageIOProvider::Core,
      "read every other format ITK handles (NRRD, MetaImage, VTK, PNG, TIFF, DICOM, ...) with ITK's own ImageIOs, in a "
      "helper process behind the read guard",
      false },
    { "",
      ImageIOProvider::ITK,
      "write every other format ITK handles, and NIfTI-1; read them where NIBRIDGE_ITK_READERS=in-process",
      false },
  };
  return entries;
}

void
ImageIOList::Provide(ImageIOProvider provider, std::vector<ProvidedImageIO> imageIOs)
{
  ProvidedState &             state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.provided[provider] = std::move(imageIOs);
  state.lazy.erase(provider);
}

bool
ImageIOList::ClaimITK(ImageIORegistration registration)
{
  // The value names the kind (its text, not its address: each copy of NiBridge has its own constants).
  static const char           program[] = "program";
  static const char           plugin[] = "plugin";
  static std::mutex           mutex; // ITK's index is not thread safe; claims from one copy are serialized at least
  const char * const          claim = registration == ImageIORegistration::Plugin ? plugin : program;
  constexpr auto              name = "NiBridge.ImageIOList.Claim";
  std::lock_guard<std::mutex> lock(mutex);
  SingletonIndex *            index = SingletonIndex::GetInstance();
  const char *                holder = index->GetGlobalInstance<char>(name);
  if (holder == nullptr)
  {
    index->SetGlobalInstance<char>(
      name, const_cast<char *>(claim), [](void *) {}, [] {});
    holder = index->GetGlobalInstance<char>(name);
  }
  return holder != nullptr && std::strcmp(holder, claim) == 0;
}

void
ImageIOList::SetLazyProvider(ImageIOProvider provider, std::function<void()> provide)
{
  ProvidedState &             state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.lazy[provider] = std::move(provide);
}

std::vector<ImageIOBase::Pointer>
ImageIOList::CreateAll()
{
  std::vector<ImageIOBase::Pointer> all;
  for (const ImageIOListEntry & entry : GetEntries())
  {
    for (const ProvidedImageIO & imageIO : ImageIOsOf(entry))
    {
      all.push_back(imageIO.create());
    }
  }
  return all;
}

ImageIOBase::Pointer
ImageIOList::CreateImageIO(const std::string & fileName, IOFileModeEnum mode)
{
  const bool reading = mode == IOFileModeEnum::ReadMode;
  if (reading)
  {
    CheckInputFile(fileName); // before any reader opens it: a FIFO would block them, a directory confuse them
  }
  const bool isolated = NiBridgeIsolatedImageIO::IsolationIsOn();
  for (const ImageIOListEntry & entry : GetEntries())
  {
    // ITK's readers are reached through the isolating entry; in-process only when the user says so.
    const bool isolatingEntry = std::string(entry.className) == "NiBridgeIsolatedImageIO";
    if (!reading ? isolatingEntry : (isolated ? entry.provider == ImageIOProvider::ITK : isolatingEntry))
    {
      continue;
    }
    for (const ProvidedImageIO & provided : ImageIOsOf(entry))
    {
      ImageIOBase::Pointer imageIO = provided.create();
      if (reading ? imageIO->CanReadFile(fileName.c_str()) : imageIO->CanWriteFile(fileName.c_str()))
      {
        return imageIO;
      }
    }
  }
  return nullptr;
}

bool
ImageIOList::PluginTakesNIfTI()
{
  const char * choice = std::getenv("NIBRIDGE_PLUGIN_NIFTI");
  return choice != nullptr && std::string(choice) == "nibabel";
}

void
ImageIOList::RegisterFactories(ImageIORegistration registration)
{
  // Idempotent by content: a factory already registered (by name) is not registered again, and one gone (ITK's
  // ReHash() unregisters everything, then calls the plugin's itkLoad again) is registered again.
  std::vector<ObjectFactoryBase::Pointer> factories;
  for (const ImageIOListEntry & entry : GetEntries())
  {
    if (entry.provider == ImageIOProvider::ITK || (registration == ImageIORegistration::Plugin && !InPlugin(entry)) ||
        (std::string(entry.className) == "NiBridgeIsolatedImageIO" && !NiBridgeIsolatedImageIO::IsolationIsOn()))
    {
      continue;
    }
    for (const ProvidedImageIO & imageIO : ImageIOsOf(entry))
    {
      if (imageIO.factory)
      {
        ObjectFactoryBase::Pointer factory = imageIO.factory();
        if (!IsFactoryRegistered(factory->GetNameOfClass()))
        {
          factories.push_back(factory);
        }
      }
    }
  }
  // Each at the front, last first: the list's order, in front of the factories registered before.
  for (auto factory = factories.rbegin(); factory != factories.rend(); ++factory)
  {
    ObjectFactoryBase::RegisterFactory(*factory, ObjectFactoryBase::INSERT_AT_FRONT);
  }
}

bool
WritesAtomically(const ImageIOBase & imageIO)
{
  return dynamic_cast<const NiBridgeImageIOBase *>(&imageIO) != nullptr ||
         dynamic_cast<const NumPyImageIO *>(&imageIO) != nullptr;
}

void
TakeMetaDataAfterRead(ImageIOBase & imageIO)
{
  if (auto * mgh = dynamic_cast<NiBridgeMGHImageIO *>(&imageIO))
  {
    mgh->ReadFooterWithHeaderOff();
  }
}

std::string
DescribeGeometryLoss(const std::string & writtenFileName, const ImageGeometry & intended)
{
  ImageIOBase::Pointer imageIO = ImageIOList::CreateImageIO(writtenFileName, IOFileModeEnum::ReadMode);
  if (!imageIO)
  {
    return "no reader reads it back to check its geometry";
  }
  TakeMetaDataAfterRead(*imageIO); // only the geometry is wanted: no pass over a .mgz's voxels for its footer
  imageIO->SetFileName(writtenFileName);
  imageIO->ReadImageInformation();
  const ImageGeometry written = GeometryOf(*imageIO);
  const unsigned int  dimension = intended.GetDimension();
  if (written.GetDimension() < dimension)
  {
    return "it holds " + std::to_string(written.GetDimension()) + " of the image's " + std::to_string(dimension) +
           " axes";
  }
  const AffineMatrix writtenAffine = RASAffineFromGeometry(written, '"' + writtenFileName + '"');
  const AffineMatrix intendedAffine = RASAffineFromGeometry(intended, "the image geometry");
  double             largest = 0.0;
  double             difference = 0.0;
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      largest = std::max(largest, std::abs(intendedAffine[row][column]));
      difference = std::max(difference, std::abs(writtenAffine[row][column] - intendedAffine[row][column]));
    }
  }
  for (unsigned int axis = 3; axis < dimension; ++axis)
  {
    largest = std::max(largest, std::abs(intended.spacing[axis]));
    difference = std::max(difference, std::abs(written.spacing[axis] - intended.spacing[axis]));
  }
  if (difference <= 1e-5 * std::max(largest, 1.0))
  {
    return {};
  }
  const ImageGeometry identity = ImageGeometry::Identity(written.GetDimension());
  const bool          writtenIsIdentity =
    written.spacing == identity.spacing && written.origin == identity.origin && written.direction == identity.direction;
  std::ostringstream text;
  text.precision(3);
  if (writtenIsIdentity)
  {
    text << "its format holds no geometry (spacing, origin and direction are dropped)";
  }
  else
  {
    text << "its format does not hold the image's geometry (" << imageIO->GetNameOfClass()
         << "): the affine read back differs by up to " << difference << " (mm)";
  }
  return text.str();
}

void
CheckWrittenImage(const std::string & writtenFileName,
                  const std::string & targetFileName,
                  const ImageIOBase & imageIO,
                  const void *        buffer)
{
  const std::string    target = '"' + targetFileName + '"';
  ImageIOBase::Pointer reader;
  try
  {
    reader = ImageIOList::CreateImageIO(writtenFileName, IOFileModeEnum::ReadMode);
    if (!reader)
    {
      itkGenericExceptionMacro(<< "no reader reads it back");
    }
    reader->SetFileName(writtenFileName);
    reader->ReadImageInformation();
  }
  catch (const ExceptionObject & error)
  {
    itkGenericExceptionMacro(<< target << ": the written file is incomplete or damaged (the disk may be full), not "
                             << "committed: " << OneLineReason(error.GetDescription()));
  }
  const unsigned int dimension = imageIO.GetNumberOfDimensions();
  bool               same = reader->GetNumberOfComponents() == imageIO.GetNumberOfComponents() &&
              reader->GetComponentType() == imageIO.GetComponentType();
  for (unsigned int axis = 0; axis < std::max(dimension, reader->GetNumberOfDimensions()); ++axis)
  {
    const auto written = axis < reader->GetNumberOfDimensions() ? reader->GetDimensions(axis) : 1;
    const auto intended = axis < dimension ? imageIO.GetDimensions(axis) : 1;
    same = same && written == intended;
  }
  if (!same)
  {
    itkGenericExceptionMacro(<< target << ": the written file does not hold the image's size and pixel type; not "
                             << "committed");
  }
  ImageIORegion region(reader->GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < reader->GetNumberOfDimensions(); ++axis)
  {
    region.SetIndex(axis, 0);
    region.SetSize(axis, reader->GetDimensions(axis));
  }
  reader->SetIORegion(region);
  const auto        bytes = static_cast<std::size_t>(reader->GetImageSizeInBytes());
  std::vector<char> readBack(bytes);
  try
  {
    reader->Read(readBack.data());
  }
  catch (const ExceptionObject & error)
  {
    itkGenericExceptionMacro(<< target << ": the written file is incomplete or damaged (the disk may be full), not "
                             << "committed: " << OneLineReason(error.GetDescription()));
  }
  if (std::memcmp(readBack.data(), buffer, bytes) != 0)
  {
    itkGenericExceptionMacro(<< target << ": the written file does not hold the image's values (the disk may be full); "
                             << "not committed");
  }
}

void
RegisterImageIOFactories()
{
  ImageIOList::RegisterFactories(ImageIORegistration::Program);
}

} // namespace nibridge
} // namespace itk
