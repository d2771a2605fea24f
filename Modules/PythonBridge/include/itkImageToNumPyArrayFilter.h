/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkImageToNumPyArrayFilter_h
#define itkImageToNumPyArrayFilter_h

#include "itkNiBridgeImageAffine.h"
#include "itkNiBridgeNumPyArray.h"

#include "itkProcessObject.h"
#include "itkSimpleDataObjectDecorator.h"

namespace itk
{
/** \class ImageToNumPyArrayFilter
 * \brief Gives an ITK image to Python: a NumPy array of its pixels, with its geometry.
 *
 * The array is a view of the image's buffered region (the same memory) that pins the pixel buffer itself (a
 * reference to the image's pixel container, held by the array and everything made from it), so that it stays valid
 * after the image is deleted, re-allocated, grafted or its pipeline runs again; or a copy the array owns (CopyOn()).
 * Views are read-only unless WritableOn(): ITK filters never change their input.
 *
 * Axes (shared DESIGN, Axes): shape (k, j, i[, c]) by default, C-contiguous, as itk.array_view_from_image and
 * SimpleITK give; KeepAxesOn(): shape (i, j, k[, c]), nibabel's voxel order, a strided view of the same memory.
 * Pixels with components (itk::VectorImage, itk::Vector, itk::RGBPixel, ...) have them as a trailing axis.
 *
 * GetGeometry() is a dict of NumPy arrays: "spacing", "origin", "direction" (ITK's axis order, LPS) and "affine"
 * (nibabel's voxel-to-RAS+ 4x4 affine of the array's first voxel, the affine a NiBridge reader kept when the
 * geometry still agrees with it); GetRASAffine() is the same affine in C++.
 *
 * Starts Python if the process does not run it yet (a C++ program), or uses the one running (a Python host). The
 * GIL is taken only while the array is made.
 * \ingroup NiBridgePython
 */
template<typename TInputImage>
class ITK_TEMPLATE_EXPORT ImageToNumPyArrayFilter : public ProcessObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ImageToNumPyArrayFilter);

  using Self = ImageToNumPyArrayFilter;
  using Superclass = ProcessObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(ImageToNumPyArrayFilter);

  using InputImageType = TInputImage;
  using PythonObjectType = nibridge::PythonObject;
  using ArrayObjectType = SimpleDataObjectDecorator<PythonObjectType>;

  using Superclass::SetInput;
  void
  SetInput(const InputImageType * image)
  {
    this->ProcessObject::SetNthInput(0, const_cast<InputImageType *>(image));
  }
  const InputImageType *
  GetInput() const
  {
    return itkDynamicCastInDebugMode<const InputImageType *>(this->ProcessObject::GetInput(0));
  }

  /** The array, decorated as a pipeline output. */
  const ArrayObjectType *
  GetOutput() const
  {
    return static_cast<const ArrayObjectType *>(this->ProcessObject::GetOutput(0));
  }
  /** The array (null before the filter ran). */
  PythonObjectType
  GetArray() const
  {
    return this->GetOutput()->Get();
  }
  /** The geometry dict (null before the filter ran). */
  PythonObjectType
  GetGeometry() const
  {
    return m_Geometry;
  }
  /** nibabel's affine of the array (voxel index to RAS+ mm). */
  const nibridge::AffineMatrix &
  GetRASAffine() const
  {
    return m_RASAffine;
  }

  itkSetMacro(KeepAxes, bool);
  itkGetConstMacro(KeepAxes, bool);
  itkBooleanMacro(KeepAxes);
  itkSetMacro(Copy, bool);
  itkGetConstMacro(Copy, bool);
  itkBooleanMacro(Copy);
  itkSetMacro(Writable, bool);
  itkGetConstMacro(Writable, bool);
  itkBooleanMacro(Writable);

protected:
  ImageToNumPyArrayFilter()
  {
    this->SetNumberOfRequiredInputs(1);
    this->SetNumberOfRequiredOutputs(1);
    this->ProcessObject::SetNthOutput(0, this->MakeOutput(0));
  }
  ~ImageToNumPyArrayFilter() override = default;

  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType) override
  {
    return ArrayObjectType::New().GetPointer();
  }

  /** The array is of the whole image. */
  void
  GenerateInputRequestedRegion() override
  {
    Superclass::GenerateInputRequestedRegion();
    if (auto * input = const_cast<InputImageType *>(this->GetInput()))
    {
      input->SetRequestedRegionToLargestPossibleRegion();
    }
  }

  void
  GenerateData() override
  {
    const InputImageType &      image = *this->GetInput();
    const auto &                region = image.GetBufferedRegion();
    std::vector<SizeValueType>  size(region.GetSize().begin(), region.GetSize().end());
    nibridge::NumPyArrayOptions options;
    options.keepAxes = m_KeepAxes;
    options.copy = m_Copy;
    options.writable = m_Writable;
    const auto layout = nibridge::PixelBufferLayoutOf<InputImageType>::Get(image.GetNumberOfComponentsPerPixel());
    const std::string what = std::string(this->GetNameOfClass()) + " of an image";

    // The array's first voxel is the buffered region's first index.
    const nibridge::ImageGeometry geometry = nibridge::GeometryFromIndex(image, region.GetIndex());
    m_RASAffine = nibridge::RASAffineFromGeometry(geometry, what);
    m_Geometry = nibridge::GeometryDictionary(geometry, m_RASAffine, what);

    auto * output = static_cast<ArrayObjectType *>(this->ProcessObject::GetOutput(0));
    output->Set(nibridge::NumPyArrayOfPixelBuffer(const_cast<InputImageType &>(image).GetBufferPointer(),
                                                  layout,
                                                  size,
                                                  const_cast<InputImageType &>(image).GetPixelContainer(),
                                                  options,
                                                  what));
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "KeepAxes: " << m_KeepAxes << "\n"
       << indent << "Copy: " << m_Copy << "\n"
       << indent << "Writable: " << m_Writable << "\n"
       << indent << "Geometry: " << m_Geometry << "\n"
       << indent << "RASAffine:";
    nibridge::PrintAffine(os, m_RASAffine);
    os << "\n";
  }

private:
  bool                   m_KeepAxes = false;
  bool                   m_Copy = false;
  bool                   m_Writable = false;
  PythonObjectType       m_Geometry;
  nibridge::AffineMatrix m_RASAffine{};
};
} // namespace itk

#endif
