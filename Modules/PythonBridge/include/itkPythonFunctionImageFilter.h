/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkPythonFunctionImageFilter_h
#define itkPythonFunctionImageFilter_h

#include "itkNiBridgeNumPyArray.h"
#include "itkNiBridgePythonFunction.h"

#include "itkImageToImageFilter.h"

#include <optional>

namespace itk
{
/** \class PythonFunctionImageFilter
 * \brief Runs a Python function on the NumPy arrays of its inputs, as a step of an ITK pipeline.
 *
 * The function (SetFunctionName("module:function"), SetFunctionSource(text, name) or SetFunction) is called with one
 * read-only NumPy view per input (the same memory, pinned; axes as DESIGN says: (k, j, i[, c]), or nibabel's
 * (i, j, k[, c]) with KeepAxesOn()), and with `geometry=` the dict of the first input's geometry ("spacing",
 * "origin", "direction", "affine" of the arrays' first voxel) if its signature takes that keyword. It returns an
 * array of the same shape as its inputs, of the output image's component type: its memory becomes the output's
 * pixels without a copy where it can (a copy where not: a read-only, strided or foreign-order result, such as an
 * input returned as it is). A result of another shape, dtype or number of axes is an error saying what was
 * returned and what was expected; NiBridge casts nothing.
 *
 * Streaming: the function sees the output's requested region grown by the padding radius (SetPaddingRadius, within
 * the image), and the output keeps the requested region of what it returns. Without streaming, the whole image.
 *
 * The GIL is taken only to make the arrays, call the function and take its result: other ITK threads (other
 * filters, other pipelines, other Python steps) keep running around it. Python is started if the process does not
 * run it yet, or the running interpreter is used (a Python host). The function is found at the first Update; a
 * Python exception there or in the call becomes an itk::ExceptionObject carrying the traceback.
 * \ingroup NiBridgePython
 */
template<typename TInputImage, typename TOutputImage = TInputImage>
class ITK_TEMPLATE_EXPORT PythonFunctionImageFilter : public ImageToImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PythonFunctionImageFilter);

  using Self = PythonFunctionImageFilter;
  using Superclass = ImageToImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(PythonFunctionImageFilter);

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using RadiusType = typename InputImageType::SizeType;
  static_assert(InputImageType::ImageDimension == OutputImageType::ImageDimension,
                "a Python function's result has its inputs' shape");

  /** The function `module:function` (found at the first Update). */
  void
  SetFunctionName(const std::string & name)
  {
    m_FunctionName = name;
    m_FunctionSource.reset();
    m_Function = {};
    this->Modified();
  }
  /** The function `functionName` that Python source text defines (run at the first Update). */
  void
  SetFunctionSource(const std::string & source, const std::string & functionName = "function")
  {
    m_FunctionName = functionName;
    m_FunctionSource = source;
    m_Function = {};
    this->Modified();
  }
  /** A function found already. */
  void
  SetFunction(const nibridge::PythonFunction & function)
  {
    m_Function = function;
    m_FunctionName = function.GetDescription();
    m_FunctionSource.reset();
    this->Modified();
  }

  itkSetMacro(PaddingRadius, RadiusType);
  itkGetConstReferenceMacro(PaddingRadius, RadiusType);
  itkSetMacro(KeepAxes, bool);
  itkGetConstMacro(KeepAxes, bool);
  itkBooleanMacro(KeepAxes);

protected:
  PythonFunctionImageFilter() { m_PaddingRadius.Fill(0); }
  ~PythonFunctionImageFilter() override = default;

  /** Every input: the output's requested region, padded, within the input. */
  void
  GenerateInputRequestedRegion() override
  {
    Superclass::GenerateInputRequestedRegion();
    for (unsigned int index = 0; index < this->GetNumberOfIndexedInputs(); ++index)
    {
      auto * input = const_cast<InputImageType *>(this->GetInput(index));
      if (input == nullptr)
      {
        continue;
      }
      typename InputImageType::RegionType region = input->GetRequestedRegion();
      region.PadByRadius(m_PaddingRadius);
      region.Crop(input->GetLargestPossibleRegion());
      input->SetRequestedRegion(region);
    }
  }

  void
  GenerateData() override
  {
    const nibridge::PythonFunction & function = this->Function();
    const std::string           what = std::string(this->GetNameOfClass()) + " (" + function.GetDescription() + ")";
    nibridge::NumPyArrayOptions options;
    options.keepAxes = m_KeepAxes;

    // The region every input is seen in: the first input's requested region (the output's, padded).
    const InputImageType *                    first = this->GetInput(0);
    const typename InputImageType::RegionType seen = first->GetRequestedRegion();
    std::vector<nibridge::PythonObject>       arrays;
    for (unsigned int index = 0; index < this->GetNumberOfIndexedInputs(); ++index)
    {
      arrays.push_back(this->InputArray(*this->GetInput(index), seen, options, what));
    }
    nibridge::PythonObject geometry;
    if (function.TakesGeometry())
    {
      const nibridge::ImageGeometry seenGeometry = nibridge::GeometryFromIndex(*first, seen.GetIndex());
      geometry = nibridge::GeometryDictionary(seenGeometry, nibridge::RASAffineFromGeometry(seenGeometry, what), what);
    }
    const nibridge::PythonObject result = function.Call(arrays, geometry, what);
    arrays.clear();

    // The output keeps its requested region of the result: a view of it where it can be one, else a copy.
    OutputImageType *                          output = this->GetOutput();
    const typename OutputImageType::RegionType kept = output->GetRequestedRegion();
    const bool                                 cropped = kept != seen;
    nibridge::ArrayRegion                      crop;
    for (unsigned int axis = 0; axis < OutputImageType::ImageDimension; ++axis)
    {
      crop.start.push_back(kept.GetIndex()[axis] - seen.GetIndex()[axis]);
      crop.size.push_back(kept.GetSize()[axis]);
    }
    options.copyIfNeeded = true;
    const nibridge::ImportedNumPyArray imported =
      nibridge::ImportNumPyArray(result,
                                 nibridge::PixelBufferLayoutOf<OutputImageType>::Get(),
                                 options,
                                 what + ", its result",
                                 std::vector<SizeValueType>(seen.GetSize().begin(), seen.GetSize().end()),
                                 cropped ? &crop : nullptr);
    output->SetBufferedRegion(kept);
    SizeValueType numberOfElements = kept.GetNumberOfPixels();
    if constexpr (nibridge::PixelBufferLayoutOf<OutputImageType>::IsVectorImage)
    {
      output->SetNumberOfComponentsPerPixel(imported.numberOfComponents);
      numberOfElements *= imported.numberOfComponents;
    }
    auto container = nibridge::NumPyArrayPixelContainer<typename OutputImageType::InternalPixelType>::New();
    container->SetImportedArray(imported, numberOfElements);
    output->SetPixelContainer(container);
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Function: " << m_FunctionName << (m_FunctionSource ? " (from source)" : "")
       << (m_Function.IsNull() ? " (not found yet)" : "") << "\n"
       << indent << "PaddingRadius: " << m_PaddingRadius << "\n"
       << indent << "KeepAxes: " << m_KeepAxes << "\n";
  }

private:
  const nibridge::PythonFunction &
  Function()
  {
    if (m_Function.IsNull())
    {
      if (m_FunctionName.empty())
      {
        itkExceptionMacro(<< "no Python function given (SetFunctionName or SetFunctionSource)");
      }
      m_Function = m_FunctionSource ? nibridge::PythonFunction::FromSource(*m_FunctionSource, m_FunctionName)
                                    : nibridge::PythonFunction::FromName(m_FunctionName);
    }
    return m_Function;
  }

  /** A read-only view of `image`'s voxels in `region` (which its buffer holds). */
  static nibridge::PythonObject
  InputArray(const InputImageType &                      image,
             const typename InputImageType::RegionType & region,
             const nibridge::NumPyArrayOptions &         options,
             const std::string &                         what)
  {
    const auto &               buffered = image.GetBufferedRegion();
    std::vector<SizeValueType> size(buffered.GetSize().begin(), buffered.GetSize().end());
    auto &                     pixels = const_cast<InputImageType &>(image);
    nibridge::PythonObject     array = nibridge::NumPyArrayOfPixelBuffer(
      pixels.GetBufferPointer(),
      nibridge::PixelBufferLayoutOf<InputImageType>::Get(image.GetNumberOfComponentsPerPixel()),
      size,
      pixels.GetPixelContainer(),
      options,
      what);
    if (buffered == region)
    {
      return array;
    }
    if (!buffered.IsInside(region))
    {
      itkGenericExceptionMacro(<< what << ": an input holds " << buffered << " but not all of " << region);
    }
    nibridge::ArrayRegion within;
    for (unsigned int axis = 0; axis < InputImageType::ImageDimension; ++axis)
    {
      within.start.push_back(region.GetIndex()[axis] - buffered.GetIndex()[axis]);
      within.size.push_back(region.GetSize()[axis]);
    }
    return nibridge::NumPyArrayRegion(array, within, options.keepAxes, what);
  }

  std::string                m_FunctionName;
  std::optional<std::string> m_FunctionSource;
  nibridge::PythonFunction   m_Function;
  RadiusType                 m_PaddingRadius;
  bool                       m_KeepAxes = false;
};
} // namespace itk

#endif
