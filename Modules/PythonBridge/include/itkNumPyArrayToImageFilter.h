/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNumPyArrayToImageFilter_h
#define itkNumPyArrayToImageFilter_h

#include "itkNiBridgeImageAffine.h"
#include "itkNiBridgeNumPyArray.h"

#include "itkImageSource.h"

#include <optional>

namespace itk
{
/** \class NumPyArrayToImageFilter
 * \brief Makes an ITK image of a NumPy array (a nibridge::PythonObject): its pixel buffer is the array's memory, no
 * copy.
 *
 * The image holds the array's buffer export (in its pixel container) for as long as it, or any image grafted from
 * it, uses the memory; the export is released under the GIL by whichever thread drops it last, so the array may be
 * dropped on the Python side at any time. The array's dtype must be the image's component type (NiBridge casts
 * nothing), its number of axes the image's (plus a trailing component axis for pixels with components; any length
 * for itk::VectorImage), and its memory laid out as an image's: C-contiguous (k, j, i[, c]) by default, or
 * (i, j, k[, c]) as nibabel orders voxels with KeepAxesOn() (a Fortran-ordered nibabel array as it is). A read-only
 * array, another byte order or other strides are refused with an error saying why, unless CopyOn(): the image is
 * then over a copy.
 *
 * Geometry: SetRASAffine() (nibabel's affine, kept in the image's dictionary as NiBridge's readers keep it), else
 * SetSpacing(), SetOrigin(), SetDirection() (identity by default).
 *
 * The output is never streamed: its requested region is always the whole array.
 * \ingroup NiBridgePython
 */
template<typename TOutputImage>
class ITK_TEMPLATE_EXPORT NumPyArrayToImageFilter : public ImageSource<TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NumPyArrayToImageFilter);

  using Self = NumPyArrayToImageFilter;
  using Superclass = ImageSource<TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NumPyArrayToImageFilter);

  using OutputImageType = TOutputImage;
  using SpacingType = typename OutputImageType::SpacingType;
  using PointType = typename OutputImageType::PointType;
  using DirectionType = typename OutputImageType::DirectionType;
  using PythonObjectType = nibridge::PythonObject;
  static constexpr unsigned int ImageDimension = OutputImageType::ImageDimension;

  /** The array (a NumPy array, or anything numpy.asarray takes without a copy). */
  void
  SetArray(const PythonObjectType & array)
  {
    if (array != m_Array)
    {
      m_Array = array;
      this->Modified();
    }
  }
  PythonObjectType
  GetArray() const
  {
    return m_Array;
  }

  /** nibabel's affine of the array's voxels (index to RAS+ mm); replaces spacing, origin and direction. */
  void
  SetRASAffine(const nibridge::AffineMatrix & affine)
  {
    m_RASAffine = affine;
    this->Modified();
  }

  itkSetMacro(Spacing, SpacingType);
  itkGetConstReferenceMacro(Spacing, SpacingType);
  itkSetMacro(Origin, PointType);
  itkGetConstReferenceMacro(Origin, PointType);
  itkSetMacro(Direction, DirectionType);
  itkGetConstReferenceMacro(Direction, DirectionType);

  itkSetMacro(KeepAxes, bool);
  itkGetConstMacro(KeepAxes, bool);
  itkBooleanMacro(KeepAxes);
  itkSetMacro(Copy, bool);
  itkGetConstMacro(Copy, bool);
  itkBooleanMacro(Copy);

protected:
  NumPyArrayToImageFilter()
  {
    m_Spacing.Fill(1.0);
    m_Origin.Fill(0.0);
    m_Direction.SetIdentity();
  }
  ~NumPyArrayToImageFilter() override = default;

  void
  GenerateOutputInformation() override
  {
    nibridge::NumPyArrayOptions options;
    options.keepAxes = m_KeepAxes;
    options.copy = m_Copy;
    m_Imported = nibridge::ImportNumPyArray(
      m_Array, nibridge::PixelBufferLayoutOf<OutputImageType>::Get(), options, this->GetNameOfClass());

    OutputImageType *                   output = this->GetOutput();
    typename OutputImageType::SizeType  size;
    typename OutputImageType::IndexType index;
    index.Fill(0);
    for (unsigned int axis = 0; axis < ImageDimension; ++axis)
    {
      size[axis] = m_Imported.size[axis];
    }
    output->SetLargestPossibleRegion(typename OutputImageType::RegionType(index, size));
    if constexpr (nibridge::PixelBufferLayoutOf<OutputImageType>::IsVectorImage)
    {
      output->SetNumberOfComponentsPerPixel(m_Imported.numberOfComponents);
    }
    if (m_RASAffine)
    {
      nibridge::SetImageGeometry(
        *output, nibridge::GeometryFromRASAffine(*m_RASAffine, ImageDimension, {}, this->GetNameOfClass()));
    }
    else
    {
      output->SetSpacing(m_Spacing);
      output->SetOrigin(m_Origin);
      output->SetDirection(m_Direction);
    }
  }

  void
  EnlargeOutputRequestedRegion(DataObject * output) override
  {
    Superclass::EnlargeOutputRequestedRegion(output);
    output->SetRequestedRegionToLargestPossibleRegion();
  }

  void
  GenerateData() override
  {
    OutputImageType * output = this->GetOutput();
    output->SetBufferedRegion(output->GetLargestPossibleRegion());
    using ContainerType = nibridge::NumPyArrayPixelContainer<typename OutputImageType::InternalPixelType>;
    auto          container = ContainerType::New();
    SizeValueType numberOfElements = output->GetLargestPossibleRegion().GetNumberOfPixels();
    if constexpr (nibridge::PixelBufferLayoutOf<OutputImageType>::IsVectorImage)
    {
      numberOfElements *= m_Imported.numberOfComponents;
    }
    container->SetImportedArray(m_Imported, numberOfElements);
    output->SetPixelContainer(container);
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Array: " << m_Array << "\n"
       << indent << "KeepAxes: " << m_KeepAxes << "\n"
       << indent << "Copy: " << m_Copy << "\n"
       << indent << "Spacing: " << m_Spacing << "\n"
       << indent << "Origin: " << m_Origin << "\n"
       << indent << "Direction: " << m_Direction << "\n"
       << indent << "RASAffine:";
    if (m_RASAffine)
    {
      nibridge::PrintAffine(os, *m_RASAffine);
    }
    else
    {
      os << " (none: spacing, origin and direction)";
    }
    os << "\n" << indent << "Imported: " << (m_Imported.buffer != nullptr ? "an array's memory" : "nothing") << "\n";
  }

private:
  PythonObjectType                      m_Array;
  std::optional<nibridge::AffineMatrix> m_RASAffine;
  SpacingType                           m_Spacing;
  PointType                             m_Origin;
  DirectionType                         m_Direction;
  bool                                  m_KeepAxes = false;
  bool                                  m_Copy = false;
  nibridge::ImportedNumPyArray          m_Imported;
};
} // namespace itk

#endif
