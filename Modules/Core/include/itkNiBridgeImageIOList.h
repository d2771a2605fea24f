/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeImageIOList_h
#define itkNiBridgeImageIOList_h

#include "NiBridgeCoreExport.h"

#include "itkCommonEnums.h"
#include "itkImageIOBase.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeImageIOFactory.h"
#include "itkObjectFactoryBase.h"

#include <functional>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** Where the ImageIO classes of an ImageIOList entry live. */
enum class ImageIOProvider
{
  Core,         // NiBridgeCore: the native readers and NumPyImageIO
  PythonBridge, // NiBridgePython: NiBabelImageIO (nibabel in the embedded or host Python)
  ITK           // ITK's own ImageIOs (NRRD, MetaImage, NIfTI, PNG, DICOM, ...), in ITK's registration order
};

/** Who asks ImageIOList::RegisterFactories to put NiBridge's readers into ITK's object factories. */
enum class ImageIORegistration
{
  Program, // a C++ program: every entry of NiBridge's, in front of ITK's own
  Plugin   // the ITK_AUTOLOAD_PATH plugin: only the entries that take nothing away from the application's readers,
           // unless the user opts in (NIBRIDGE_PLUGIN_NIFTI=nibabel, see ImageIOListEntry::pluginDefault)
};

/** \class ImageIOListEntry
 * \brief One place in the priority list: an ImageIO class, where it lives, what it reads and writes.
 * \ingroup NiBridgeCore
 */
struct ImageIOListEntry
{
  const char *    className; // the ImageIO's GetNameOfClass(); "" for the ITK entry, which stands for all of ITK's
  ImageIOProvider provider;
  const char *    formats;       // what it is first in the list for, for documentation and messages
  bool            pluginDefault; // whether the plugin puts it in front of the application's readers by default
};

/** \class ProvidedImageIO
 * \brief An ImageIO class a provider makes available to the list: how to create one, and its ITK factory.
 * \ingroup NiBridgeCore
 */
struct ProvidedImageIO
{
  std::string                                 className;
  std::function<ImageIOBase::Pointer()>       create;
  std::function<ObjectFactoryBase::Pointer()> factory; // empty for ITK's own (the program registers those)
};

/** The list's entry for one of NiBridge's ImageIO classes: its name, how to create one, and its factory
 * (NiBridgeImageIOFactory). */
template<typename TImageIO>
ProvidedImageIO
ProvidedImageIOOf()
{
  return { TImageIO::New()->GetNameOfClass(),
           [] { return ImageIOBase::Pointer(TImageIO::New()); },
           [] { return ObjectFactoryBase::Pointer(NiBridgeImageIOFactory<TImageIO>::New()); } };
}


/** \class ImageIOList
 * \brief The one ordered list of readers and writers that `nibridge.imread`/`imwrite`, `ni2npy`, C++ programs and
 * the plugin all use. Its order is the priority policy; adding a format touches it and nothing else.
 *
 * The order, first match wins (CanReadFile / CanWriteFile):
 * 0. NiBridgeGuardImageIO: takes an input that exists but is no readable regular file (a FIFO, a device, a directory)
 *    and refuses it, so that no reader after it opens it (for itk::ImageFileReader; CreateImageIO checks first).
 * 1. NiBridge's native readers, bit-identical to nibabel: NiBridgeNiftiImageIO (NIfTI-1, NIfTI-2, Analyze) and
 *    NiBridgeMGHImageIO (MGH/MGZ); then NumPyImageIO (.npy).
 * 2. NiBabelImageIO: every other format nibabel reads (MINC, PAR/REC, AFNI, ECAT, CIFTI-2, and the NIfTI / MGH files
 *    the native readers leave to nibabel), and the MGH and NIfTI-2 writers.
 * 3. NiBridgeIsolatedImageIO: reads the formats nibabel does not read (NRRD, MetaImage, VTK, PNG, TIFF, DICOM, ...)
 *    with ITK's own ImageIOs, in a helper process behind the read guard (itkNiBridgeReadGuard.h), so that a damaged
 *    file that crashes or hangs one of ITK's libraries ends in an error, not in the caller's crash.
 * 4. ITK's own ImageIOs, in the order ITK registers them: the writers of those formats, and the NIfTI-1 writer; and
 *    the readers, in the calling process, only where NIBRIDGE_ITK_READERS=in-process (then the isolating entry is
 *    skipped).
 *
 * Before any reader is asked about a file, the list checks that it is an existing regular file the process may read
 * (nibridge::CheckInputFile): a FIFO, a device or a directory is refused with a clear error.
 *
 * The Core entries are always available. The others are provided at run time by whoever links them: the PythonBridge
 * library (ProvidePythonBridgeImageIOs()) and a generated list of ITK's ImageIOs (ProvideITKImageIOs(), in the
 * NiBridgeITKImageIOs library); or lazily, by a function set with SetLazyProvider (ni2npy loads ITK's readers only for
 * files its native readers do not take). Entries nobody provides are skipped.
 *
 * Thread safety: every member may be called from any thread; providers are called once.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT ImageIOList
{
public:
  ImageIOList() = delete;

  /** The entries, in priority order. */
  static const std::vector<ImageIOListEntry> &
  GetEntries();

  /** Makes ImageIO classes of a provider available (replacing what it provided before). */
  static void
  Provide(ImageIOProvider provider, std::vector<ProvidedImageIO> imageIOs);

  /** A function called, once, the first time an ImageIO of `provider` is needed and none was provided. */
  static void
  SetLazyProvider(ImageIOProvider provider, std::function<void()> provide);

  /** A new ImageIO of every available class, in priority order (providing lazily whatever is still missing). */
  static std::vector<ImageIOBase::Pointer>
  CreateAll();

  /** The first ImageIO in priority order that reads (CanReadFile) or writes (CanWriteFile) `fileName`; null if none.
   * Entries of lazy providers are tried only when no earlier entry took the file. For reading, throws an
   * itk::ExceptionObject naming the file if it is no readable regular file (nibridge::CheckInputFile). */
  static ImageIOBase::Pointer
  CreateImageIO(const std::string & fileName, IOFileModeEnum mode);

  /** Registers NiBridge's available factories with ITK's object factories, in priority order and in front of ITK's
   * own (which the program registers itself, as itk::ImageFileReader does): a program's ImageFileReader then reads
   * ITK's formats through NiBridgeIsolatedImageIO too (unless NIBRIDGE_ITK_READERS=in-process). Factories registered
   * already (by class name) are not registered again.
   * The plugin's registration honours NIBRIDGE_PLUGIN_NIFTI: "nibabel" puts NiBridgeNiftiImageIO in front of ITK's
   * NiftiImageIO too; anything else, or nothing, leaves NIfTI-1 and Analyze files to ITK's reader. */
  static void
  RegisterFactories(ImageIORegistration registration = ImageIORegistration::Program);

  /** Claims this process's ITK for a kind of registration, first come first served, and says whether `registration`
   * holds it: Program is claimed by the first use of the list (any NiBridge program, the Python package, a C++
   * program), Plugin by the plugin before it touches the list. The claim lives in ITK's SingletonIndex, so that every
   * copy of NiBridge linked against the same ITK sees it (the plugin's own, the Python extension's, shared or static).
   * The plugin, loaded by ITK (ITK_AUTOLOAD_PATH) into a process that already uses NiBridge, finds the claim taken and
   * registers nothing: that process has NiBridge's readers already, and the plugin must not re-enter the list from
   * inside ITK's first factory lookup, which the list's own start triggers. */
  static bool
  ClaimITK(ImageIORegistration registration);

  /** Whether the plugin's registration puts the native NIfTI reader in front (NIBRIDGE_PLUGIN_NIFTI=nibabel). */
  static bool
  PluginTakesNIfTI();
};

/** Whether the ImageIO writes a single-file image whole or not at all by itself, through a temporary file renamed over
 * the target: NiBridge's writers do (NiBridgeNiftiImageIO, NumPyImageIO, NiBabelImageIO); ITK's do not, and a caller
 * that must never leave a partial file gives them a temporary name itself. */
NiBridgeCore_EXPORT bool
WritesAtomically(const ImageIOBase & imageIO);

/** Sets up an ImageIO (from the list, or any other) for a caller that takes its dictionary after Read(), or not at all:
 * then no reader makes a pass of its own for metadata that Read() passes anyway (a .mgz's footer, which follows the
 * voxels). Does nothing for the other ImageIOs. */
NiBridgeCore_EXPORT void
TakeMetaDataAfterRead(ImageIOBase & imageIO);

/** How the geometry a file written a moment ago holds differs from `intended` (the image's), read back through the
 * list: empty if it is the same (to within the precision of the format's float32 or decimal fields, 1e-5 relative),
 * else one line saying what was lost ("holds no geometry", "its affine differs by up to 1.9 mm", ...). For writers that
 * must never lose geometry silently: a format that cannot hold it is reported, to refuse the write or to warn. */
NiBridgeCore_EXPORT std::string
                    DescribeGeometryLoss(const std::string & writtenFileName, const ImageGeometry & intended);

/** Checks that a writer that reports no errors of its own (ITK's: MetaIO, NrrdIO and others only print a line when the
 * disk is full) wrote the whole image: `writtenFileName` is read back through the list and must hold `imageIO`'s
 * dimensions and exactly the `buffer` it was given. Throws an itk::ExceptionObject naming `targetFileName` otherwise,
 * so that the caller discards the temporary file and the old target survives. */
NiBridgeCore_EXPORT void
CheckWrittenImage(const std::string & writtenFileName,
                  const std::string & targetFileName,
                  const ImageIOBase & imageIO,
                  const void *        buffer);

/** Registers NiBridge's ImageIO factories for a C++ program: ImageIOList::RegisterFactories(). Include
 * itkNiBabelImageIOFactory.h and call itk::nibridge::ProvidePythonBridgeImageIOs() first to have NiBabelImageIO
 * among them. */
NiBridgeCore_EXPORT void
RegisterImageIOFactories();

} // namespace nibridge
} // namespace itk

#endif
