/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeImageIOBase_h
#define itkNiBridgeImageIOBase_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeMacro.h"
#include "itkNiBridgeReadGuard.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
class VoxelBlockReader;
} // namespace nibridge

/** \class NiBridgeImageIOBase
 * \brief What every NiBridge reader of nibabel's formats shares: nibabel's values, geometry and metadata.
 *
 * The native readers (NiBridgeNiftiImageIO, NiBridgeMGHImageIO) and NiBabelImageIO (nibabel in the embedded
 * Python) derive from it, so that a caller sets the values it wants once for any of them.
 *
 * Values: by default exactly `numpy.asarray(img.dataobj)` (nibabel's scaled values in nibabel's dtype: the
 * stored values where the file has no scaling); ReadRawValues gives the stored values
 * (`img.dataobj.get_unscaled()`); ReadAsFloat64 exactly `img.get_fdata()`.
 *
 * Axes: nibabel's array axes (i, j, k, ...) are ITK's index axes, i fastest.
 *
 * Geometry: nibabel's `img.affine` (RAS+) is the truth, converted by itk::nibridge::GeometryFromRASAffine and
 * kept, bit for bit, in the MetaDataDictionary under itk::nibridge::RASAffineMetaDataKey(). Axes beyond the third
 * keep the header's zooms as spacing (4D: the TR, in the header's time units; 1 where there is none, or a
 * non-positive one). A 1D image, and a 2D image whose affine leaves the x-y plane, are 3D with size 1 on the missing
 * axes. An image without an affine (CIFTI-2) has the identity geometry.
 *
 * Vectors: a 5-D NIfTI file of real numbers, (i, j, k, t, c) in nibabel (NIfTI's layout for vectors, the one ITK and
 * ANTs write displacement fields in), is by default a vector image of c components over (i, j, k), or (i, j, k, t)
 * when t is not 1, as ITK's own NIfTI reader and nibridge.from_nibabel make it; GetNiBabelShape keeps nibabel's five
 * axes. With ReadFifthAxisAsComponents off it is a 5-D scalar image, nibabel's axes as they are (ni2npy).
 *
 * Metadata (std::string values, the same keys whichever reader read the file): "NiBabel_ImageClass" (nibabel's
 * image class, e.g. "Nifti1Image"), "NiBabel_Values" ("scaled", "raw", "float64"), "NiBabel_ValueDType" and
 * "NiBabel_StoredDType" (NumPy dtype strings), "NiBabel_Zooms", "NiBabel_SpatialUnits", "NiBabel_TimeUnits",
 * "NiBabel_RepetitionTime", "NiBabel_Intent", "NiBabel_IntentParameters", "NiBabel_IntentName", and
 * "NiBabel_Header_<field>" for every header field, as nibabel's loaded header holds it.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NiBridgeImageIOBase : public ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeImageIOBase);

  using Self = NiBridgeImageIOBase;
  using Superclass = ImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkOverrideGetNameOfClassMacro(NiBridgeImageIOBase);

  /** Dictionary keys (see the class comment); the affine's is itk::nibridge::RASAffineMetaDataKey(). */
  static constexpr const char * ImageClassMetaDataKey = "NiBabel_ImageClass";
  static constexpr const char * ValuesMetaDataKey = "NiBabel_Values";
  static constexpr const char * ValueDTypeMetaDataKey = "NiBabel_ValueDType";
  static constexpr const char * StoredDTypeMetaDataKey = "NiBabel_StoredDType";
  static constexpr const char * ZoomsMetaDataKey = "NiBabel_Zooms";
  static constexpr const char * SpatialUnitsMetaDataKey = "NiBabel_SpatialUnits";
  static constexpr const char * TimeUnitsMetaDataKey = "NiBabel_TimeUnits";
  static constexpr const char * RepetitionTimeMetaDataKey = "NiBabel_RepetitionTime";
  static constexpr const char * IntentMetaDataKey = "NiBabel_Intent";
  static constexpr const char * IntentParametersMetaDataKey = "NiBabel_IntentParameters";
  static constexpr const char * IntentNameMetaDataKey = "NiBabel_IntentName";
  static constexpr const char * HeaderFieldMetaDataKeyPrefix = "NiBabel_Header_";
  static constexpr const char * WarningsMetaDataKey = "NiBabel_Warnings";

  /** Read the stored values (img.dataobj.get_unscaled()) instead of nibabel's scaled ones. Default: off. */
  itkSetMacro(ReadRawValues, bool);
  itkGetConstMacro(ReadRawValues, bool);
  itkBooleanMacro(ReadRawValues);

  /** Read exactly img.get_fdata(): float64 values. Excludes ReadRawValues. Default: off. */
  itkSetMacro(ReadAsFloat64, bool);
  itkGetConstMacro(ReadAsFloat64, bool);
  itkBooleanMacro(ReadAsFloat64);

  /** "scaled", "raw" or "float64": the values the options ask for. Throws if both options are on. */
  std::string
  GetValuesName() const;

  /** Sets the options by the values' name: "scaled" (both off), "raw" (ReadRawValues) or "float64"
   * (ReadAsFloat64). Throws for any other name. */
  void
  SetValuesName(const std::string & values);

  /** Whether the values last read (by ReadImageInformation) are not the stored ones: the file is scaled, or they
   * were asked for as float64 from another stored type. False before a read. */
  bool
  GetValuesDifferFromStored() const;

  /** The shape of nibabel's array (i, j, k, ...) for the file last read: the image's dimensions, but for the axes of
   * size 1 that a 1D image, or a 2D one whose affine leaves the x-y plane, gets as an ITK image. */
  const std::vector<std::uint64_t> &
  GetNiBabelShape() const
  {
    return m_NiBabelShape;
  }

  /** Where the values ReadRawValues gives become nibabel's float64 ones (`img.get_fdata()`) by nibabel's scaling,
   * `float64(stored) * slope + intercept` (nibridge::ScaleToFloat64): the native readers say so after
   * ReadImageInformation, with the file's scaling (1, 0 where it has none), so that a caller can read the stored
   * values and scale them itself. False where the reader does not know (NiBabelImageIO). */
  virtual bool
  GetStoredValueScaling(double & slope, double & intercept) const;

  /** Whether ReadImageInformation refuses an image larger than the read guard's memory limit
   * (nibridge::GetReadMemoryLimit). Off for a caller that reads the image region by region and never holds it whole
   * (ni2npy); the other checks of the guard stay. Default: on. */
  itkSetMacro(CheckMemoryLimit, bool);
  itkGetConstMacro(CheckMemoryLimit, bool);
  itkBooleanMacro(CheckMemoryLimit);

  /** Read a 5-D NIfTI file of real numbers as a vector image of its fifth axis (see the class comment). Default:
   * on. */
  itkSetMacro(ReadFifthAxisAsComponents, bool);
  itkGetConstMacro(ReadFifthAxisAsComponents, bool);
  itkBooleanMacro(ReadFifthAxisAsComponents);

  /** How the file last read is decoded, for messages ("plain read", "gzip (ISA-L)", "gzip (zlib)"); empty before a
   * read, and for readers that do not say. */
  virtual std::string
  GetDecoderName() const;

  /** The requested region itself when streamed reading is on and the reader reads regions on their own (the native
   * readers do), else the whole image. */
  ImageIORegion
  GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const override;

  /** The real direction of a spatial axis, where ITK's default is the identity: ImageFileReader asks for it when it
   * reads a 4-D (or higher) file into a 3-D image. The spatial block of a nibabel geometry never mixes with the
   * extra axes, so its first three columns are a 3-D direction as they stand. */
  std::vector<double>
  GetDefaultDirection(unsigned int axis) const override;

  /** nibabel's images have 1 to 7 axes; ITK's side has no limit. */
  bool
  SupportsDimension(unsigned long) override
  {
    return true;
  }

protected:
  NiBridgeImageIOBase();
  ~NiBridgeImageIOBase() override;

  /** Prints the options. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Sets the dimensions, spacing, origin and direction for an image of nibabel's `shape`, `affine` (none for
   * CIFTI-2) and header `zooms` (see the class comment), and keeps the affine in the dictionary. With
   * `lastAxisIsComponents`, for a 5-D shape (i, j, k, t, c): ITK's axes are (i, j, k), or (i, j, k, t) when t is not 1,
   * and ReadVoxelBlockRegion gives each voxel's c values together, as ITK's vector pixels (the caller sets the pixel
   * type and the number of components, c). `fourthAxisOrigin`: the origin of a fourth axis (NIfTI's toffset, which
   * ITK's NIfTI reader and writer take as the time origin and nibabel's affine has no place for); ignored where it is
   * not finite. */
  void
  SetNiBabelGeometry(const std::vector<std::uint64_t> &            shape,
                     const std::optional<nibridge::AffineMatrix> & affine,
                     const std::vector<double> &                   zooms,
                     bool                                          lastAxisIsComponents = false,
                     double                                        fourthAxisOrigin = 0.0);

  /** The read guard's checks of the image information set by ReadImageInformation (nibridge::CheckImageInformation),
   * with the memory limit where CheckMemoryLimit is on; `stored`: where the voxels are, for a reader that knows. The
   * native readers' SetVoxelBlock calls it; NiBabelImageIO calls it itself. */
  void
  CheckImageInformation(const std::optional<nibridge::StoredVoxels> & stored = std::nullopt) const;

  /** Puts a string into the dictionary. */
  void
  SetMetaDataText(const std::string & key, const std::string & value);

  /** Quoted file name for messages: "\"<m_FileName>\"". */
  std::string
  QuotedFileName() const;


  /** For the native readers, once ReadImageInformation has parsed the header: the voxels of the file, and whether
   * they are delivered as float64 (scaled) values rather than the stored ones. */
  void
  SetVoxelBlock(std::unique_ptr<nibridge::VoxelBlockReader> reader, bool deliversFloat64);

  /** For the native readers' Read(): the values of GetIORegion() into `buffer`, from the voxel block of the last
   * ReadImageInformation (called again first if the file name or the value options changed since). */
  void
  ReadVoxelBlockRegion(void * buffer);

  bool m_ValuesDifferFromStored{ false };

private:
  /** What the voxel block was set up for, besides the file: the values and the options that shape the image. */
  std::string
  VoxelBlockKey() const;

  std::unique_ptr<nibridge::VoxelBlockReader> m_VoxelBlockReader;
  std::string                                 m_VoxelBlockFileName; // the file and the key it was set up for
  std::string                                 m_VoxelBlockValues;
  bool                                        m_DeliversFloat64{ false };
  bool                                        m_LastAxisIsComponents{ false };
  std::vector<std::uint64_t>                  m_NiBabelShape;
  bool                                        m_ReadRawValues{ false };
  bool                                        m_ReadAsFloat64{ false };
  bool                                        m_ReadFifthAxisAsComponents{ true };
  bool                                        m_CheckMemoryLimit{ true };
};

namespace nibridge
{
/** Whether `fileName` names a regular file (not a directory, FIFO or device). Never throws. */
NiBridgeCore_EXPORT bool
IsRegularFile(const std::string & fileName);

/** Up to `count` bytes from the start of a regular file, decompressed if `gzipped` (decoded no further than needed,
 * so that a damaged trailer cannot hide what the file starts with); fewer if the file is shorter; empty if it is no
 * regular file, does not open, or is not gzip although `gzipped`. For CanReadFile: never throws. */
NiBridgeCore_EXPORT std::string
                    ReadFileStart(const std::string & fileName, std::size_t count, bool gzipped);

/** The geometry an ImageIO holds after ReadImageInformation (or was given for writing): spacing, origin and
 * direction of all its axes, with the RAS affine its dictionary keeps as `sourceAffine`. */
NiBridgeCore_EXPORT ImageGeometry
GeometryOf(const ImageIOBase & imageIO);

/** nibabel's read scaling of `count` stored values of `type` (a real type, native byte order) to float64:
 * `value = stored * slope` when slope != 1, then `+ intercept` when intercept != 0, each rounded to float64 (no fused
 * multiply-add): exactly `apply_read_scaling` with float64 scale factors, as `get_fdata()` computes. */
NiBridgeCore_EXPORT void
ScaleToFloat64(ComponentType type,
               const void *  stored,
               double *      values,
               std::size_t   count,
               double        slope,
               double        intercept);

/** Gives an ImageIO the geometry (spacing, origin, direction of the geometry's axes; SetNumberOfDimensions first). */
NiBridgeCore_EXPORT void
SetGeometry(ImageIOBase & imageIO, const ImageGeometry & geometry);
} // namespace nibridge
} // namespace itk

#endif
