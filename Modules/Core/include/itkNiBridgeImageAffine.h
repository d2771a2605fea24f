/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeImageAffine_h
#define itkNiBridgeImageAffine_h

#include "itkNiBridgeGeometry.h"
#include "itkMacro.h"

namespace itk
{
namespace nibridge
{
/** The ImageGeometry of an ITK image (any itk::ImageBase: itk::Image, itk::VectorImage, ...): its spacing, origin and
 * direction, and the RAS+ affine NiBridge's readers kept in its dictionary (RASAffineMetaDataKey), if any. */
template<typename TImage>
ImageGeometry
GeometryOfImage(const TImage & image)
{
  constexpr unsigned int dimension = TImage::ImageDimension;
  ImageGeometry          geometry = ImageGeometry::Identity(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    geometry.spacing[axis] = image.GetSpacing()[axis];
    geometry.origin[axis] = image.GetOrigin()[axis];
    for (unsigned int row = 0; row < dimension; ++row)
    {
      geometry.direction[row][axis] = image.GetDirection()[row][axis];
    }
  }
  geometry.sourceAffine = StoredRASAffine(image.GetMetaDataDictionary());
  return geometry;
}

/** Gives an ITK image `geometry`: its spacing, origin and direction, and its source affine (if any) in the image's
 * dictionary, where GeometryOfImage finds it again. Throws itk::ExceptionObject if the dimensions differ. */
template<typename TImage>
void
SetImageGeometry(TImage & image, const ImageGeometry & geometry)
{
  constexpr unsigned int dimension = TImage::ImageDimension;
  if (geometry.GetDimension() != dimension)
  {
    itkGenericExceptionMacro(<< "a geometry of " << geometry.GetDimension() << " dimensions for an image of "
                             << dimension);
  }
  typename TImage::SpacingType   spacing;
  typename TImage::PointType     origin;
  typename TImage::DirectionType direction;
  for (unsigned int row = 0; row < dimension; ++row)
  {
    spacing[row] = geometry.spacing[row];
    origin[row] = geometry.origin[row];
    for (unsigned int column = 0; column < dimension; ++column)
    {
      direction[row][column] = geometry.direction[row][column];
    }
  }
  image.SetSpacing(spacing);
  image.SetOrigin(origin);
  image.SetDirection(direction);
  if (geometry.sourceAffine)
  {
    StoreRASAffine(image.GetMetaDataDictionary(), *geometry.sourceAffine);
  }
}

/** nibabel's `img.affine` (voxel index to RAS+ mm) of an ITK image: the affine its reader kept, bit for bit, while
 * the image's geometry still agrees with it, else the one its geometry gives. Throws itk::ExceptionObject naming
 * `what` for a geometry with no affine (non-finite, singular). */
template<typename TImage>
AffineMatrix
RASAffineOfImage(const TImage & image, const std::string & what = "image")
{
  return RASAffineFromGeometry(GeometryOfImage(image), what);
}
} // namespace nibridge
} // namespace itk

#endif
