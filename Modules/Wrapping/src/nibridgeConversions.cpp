/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace nibridge
{
namespace
{
/** What an array becomes as an image: its kind, ITK size and component count. */
struct ArrayLayout
{
  ImageKind                       kind;
  std::vector<itk::SizeValueType> size;
  unsigned int                    numberOfComponents;
};

std::string
ShapeText(const py::array & array)
{
  return py::str(array.attr("shape")).cast<std::string>();
}

ArrayLayout
LayoutOf(const py::array & array, bool keepAxes, bool isVector, const char * function)
{
  const ComponentType component = ComponentTypeOf(array.dtype(), function);
  const auto          arrayDimension = static_cast<unsigned int>(array.ndim());
  const unsigned int  dimension = arrayDimension - (isVector ? 1 : 0);
  if (arrayDimension < (isVector ? 3u : 2u) || dimension > 4)
  {
    throw py::value_error(std::string(function) + ": " +
                          (isVector ? "a vector image needs a 3-, 4- or 5-dimensional array (the last axis holds "
                                      "the components)"
                                    : "a scalar image needs a 2-, 3- or 4-dimensional array (pass is_vector=True "
                                      "for a trailing component axis)") +
                          ", got shape " + ShapeText(array));
  }
  ArrayLayout layout{ { component, dimension, isVector }, {}, 1 };
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    layout.size.push_back(static_cast<itk::SizeValueType>(array.shape(keepAxes ? axis : dimension - 1 - axis)));
  }
  if (isVector)
  {
    const auto components = array.shape(dimension);
    if (components < 1)
    {
      throw py::value_error(std::string(function) + ": a vector image needs at least one component, got shape " +
                            ShapeText(array));
    }
    layout.numberOfComponents = static_cast<unsigned int>(components);
  }
  return layout;
}

std::unique_ptr<Image>
NewImageOfLayout(const ArrayLayout & layout)
{
  const auto & operations = OperationsFor(layout.kind);
  return std::make_unique<Image>(operations, operations.New(layout.size, layout.numberOfComponents));
}

template<typename TBlock>
void
CopyBlocks(char * destination, const char * source, py::ssize_t count, py::ssize_t stride)
{
  for (py::ssize_t index = 0; index < count; ++index, source += stride, destination += sizeof(TBlock))
  {
    TBlock block;
    std::memcpy(&block, source, sizeof(TBlock));
    std::memcpy(destination, &block, sizeof(TBlock));
  }
}

/** Copies a `rows` x `columns` matrix of TItem whose rows are contiguous in the source into one whose columns
 * are, in square tiles, so that every cache line read or written is used whole while it is cached. */
template<typename TItem>
void
TransposeTiles(char *       destination,
               const char * source,
               py::ssize_t  rows,
               py::ssize_t  columns,
               py::ssize_t  destinationRowStride,
               py::ssize_t  sourceColumnStride)
{
  constexpr py::ssize_t Tile = 32;
  for (py::ssize_t firstRow = 0; firstRow < rows; firstRow += Tile)
  {
    const py::ssize_t lastRow = std::min(rows, firstRow + Tile);
    for (py::ssize_t firstColumn = 0; firstColumn < columns; firstColumn += Tile)
    {
      const py::ssize_t lastColumn = std::min(columns, firstColumn + Tile);
      for (py::ssize_t row = firstRow; row < lastRow; ++row)
      {
        char *       target = destination + row * destinationRowStride;
        const char * origin = source + row * static_cast<py::ssize_t>(sizeof(TItem));
        for (py::ssize_t column = firstColumn; column < lastColumn; ++column)
        {
          std::memcpy(target + column * static_cast<py::ssize_t>(sizeof(TItem)),
                      origin + column * sourceColumnStride,
                      sizeof(TItem));
        }
      }
    }
  }
}

/** The transposing case of StridedCopy: the destination's innermost axis is not contiguous in the source,
 * but another axis (`contiguousAxis`) is. Each pair of those two axes is copied as a tiled transpose,
 * looping over the other axes. Returns false (nothing copied) for an item size it has no kernel for. */
bool
TransposingCopy(char *                           destination,
                const char *                     source,
                const std::vector<py::ssize_t> & shape,
                const std::vector<py::ssize_t> & strides,
                py::ssize_t                      itemSize,
                std::size_t                      contiguousAxis)
{
  using Kernel = void (*)(char *, const char *, py::ssize_t, py::ssize_t, py::ssize_t, py::ssize_t);
  Kernel kernel = nullptr;
  switch (itemSize)
  {
    case 1:
      kernel = &TransposeTiles<std::uint8_t>;
      break;
    case 2:
      kernel = &TransposeTiles<std::uint16_t>;
      break;
    case 4:
      kernel = &TransposeTiles<std::uint32_t>;
      break;
    case 8:
      kernel = &TransposeTiles<std::uint64_t>;
      break;
    case 16:
      kernel = &TransposeTiles<std::array<std::uint64_t, 2>>; // complex128
      break;
    default:
      return false;
  }
  const std::size_t        axes = shape.size();
  std::vector<py::ssize_t> destinationStrides(axes);
  py::ssize_t              stride = itemSize;
  for (std::size_t axis = axes; axis-- > 0;)
  {
    destinationStrides[axis] = stride;
    stride *= shape[axis];
  }
  // Every other axis but the innermost: an odometer over their indices.
  std::vector<std::size_t> outer;
  for (std::size_t axis = 0; axis + 1 < axes; ++axis)
  {
    if (axis != contiguousAxis)
    {
      outer.push_back(axis);
    }
  }
  std::vector<py::ssize_t> index(outer.size(), 0);
  for (;;)
  {
    py::ssize_t destinationOffset = 0, sourceOffset = 0;
    for (std::size_t position = 0; position < outer.size(); ++position)
    {
      destinationOffset += index[position] * destinationStrides[outer[position]];
      sourceOffset += index[position] * strides[outer[position]];
    }
    kernel(destination + destinationOffset,
           source + sourceOffset,
           shape[contiguousAxis],
           shape[axes - 1],
           destinationStrides[contiguousAxis],
           strides[axes - 1]);
    std::size_t position = outer.size();
    while (position > 0 && ++index[position - 1] == shape[outer[position - 1]])
    {
      index[--position] = 0;
    }
    if (position == 0)
    {
      return true;
    }
  }
}

/** Copies an N-dimensional strided source into contiguous memory in the C order of `shape`. Runs without
 * the GIL: no Python object is touched. */
void
StridedCopy(char *                   destination,
            const char *             source,
            std::vector<py::ssize_t> shape,
            std::vector<py::ssize_t> strides,
            py::ssize_t              itemSize)
{
  for (const auto extent : shape)
  {
    if (extent == 0)
    {
      return;
    }
  }
  // The trailing axes that are contiguous in the source form one block.
  py::ssize_t block = itemSize;
  std::size_t axes = shape.size();
  while (axes > 0 && (strides[axes - 1] == block || shape[axes - 1] == 1))
  {
    block *= shape[axes - 1];
    --axes;
  }
  if (axes == 0)
  {
    std::memcpy(destination, source, static_cast<std::size_t>(block));
    return;
  }
  if (block == itemSize && axes == shape.size() && strides[axes - 1] != itemSize)
  {
    // A transposing copy (a C-ordered (i, j, k) array with keep_axes): gathering element by element
    // along the innermost axis would touch a new cache line for every item.
    for (std::size_t axis = 0; axis + 1 < axes; ++axis)
    {
      if (strides[axis] == itemSize && shape[axis] > 1 &&
          TransposingCopy(destination, source, shape, strides, itemSize, axis))
      {
        return;
      }
    }
  }
  const py::ssize_t        innerCount = shape[axes - 1];
  const py::ssize_t        innerStride = strides[axes - 1];
  std::vector<py::ssize_t> index(axes - 1, 0);
  for (;;)
  {
    const char * row = source;
    for (std::size_t axis = 0; axis + 1 < axes; ++axis)
    {
      row += index[axis] * strides[axis];
    }
    switch (block)
    {
      case 1:
        CopyBlocks<std::uint8_t>(destination, row, innerCount, innerStride);
        break;
      case 2:
        CopyBlocks<std::uint16_t>(destination, row, innerCount, innerStride);
        break;
      case 4:
        CopyBlocks<std::uint32_t>(destination, row, innerCount, innerStride);
        break;
      case 8:
        CopyBlocks<std::uint64_t>(destination, row, innerCount, innerStride);
        break;
      default:
        for (py::ssize_t element = 0; element < innerCount; ++element)
        {
          std::memcpy(destination + element * block, row + element * innerStride, static_cast<std::size_t>(block));
        }
        break;
    }
    destination += innerCount * block;
    std::size_t axis = axes - 1;
    while (axis > 0)
    {
      --axis;
      if (++index[axis] < shape[axis])
      {
        break;
      }
      index[axis] = 0;
      if (axis == 0)
      {
        return;
      }
    }
    if (axes == 1)
    {
      return;
    }
  }
}

template<typename TWord>
void
SwapWords(char * memory, std::size_t bytes)
{
  for (std::size_t offset = 0; offset + sizeof(TWord) <= bytes; offset += sizeof(TWord))
  {
    TWord word;
    std::memcpy(&word, memory + offset, sizeof(TWord));
    if constexpr (sizeof(TWord) == 2)
    {
      word = __builtin_bswap16(word);
    }
    else if constexpr (sizeof(TWord) == 4)
    {
      word = __builtin_bswap32(word);
    }
    else
    {
      word = __builtin_bswap64(word);
    }
    std::memcpy(memory + offset, &word, sizeof(TWord));
  }
}

/** Swaps every number of a buffer to native order (each half of a complex number on its own). */
void
SwapToNative(char * memory, std::size_t bytes, ComponentType component, std::size_t itemSize)
{
  const bool        isComplex = itk::nibridge::IsComplex(component);
  const std::size_t word = isComplex ? itemSize / 2 : itemSize;
  switch (word)
  {
    case 2:
      SwapWords<std::uint16_t>(memory, bytes);
      break;
    case 4:
      SwapWords<std::uint32_t>(memory, bytes);
      break;
    case 8:
      SwapWords<std::uint64_t>(memory, bytes);
      break;
    default:
      break;
  }
}

bool
IsNative(const py::dtype & dtype)
{
  // NumPy writes '=' for the machine's order and '|' where order means nothing; '<' or '>' only for an
  // order it does not normalize, which may still be the machine's.
  const char     order = dtype.byteorder();
  constexpr char machine = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? '<' : '>';
  return order == '=' || order == '|' || order == machine;
}

std::unique_ptr<Image>
ImageViewFromArray(const py::array &  array,
                   bool               keepAxes,
                   bool               isVector,
                   const py::object & spacing,
                   const py::object & origin,
                   const py::object & direction)
{
  constexpr const char * function = "image_view_from_array";
  const auto             layout = LayoutOf(array, keepAxes, isVector, function);
  if (!IsNative(array.dtype()))
  {
    throw py::value_error(std::string(function) + ": the array's byte order (" +
                          py::str(array.dtype()).cast<std::string>() +
                          ") is not the machine's, so a view would show wrong values; use image_from_array, which "
                          "swaps while it copies");
  }
  if (!array.writeable())
  {
    throw py::value_error(std::string(function) +
                          ": the array is read-only and an image view would be writable; use image_from_array for "
                          "a copy");
  }
  if (!(array.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
  {
    throw py::value_error(std::string(function) + ": the array's memory is not aligned; use image_from_array");
  }
  std::vector<py::ssize_t> shape, strides;
  BufferLayout(layout.size,
               layout.numberOfComponents,
               isVector,
               static_cast<std::size_t>(array.itemsize()),
               keepAxes,
               shape,
               strides);
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis)
  {
    // Strides of axes of extent 1 (and of empty arrays) address nothing.
    if (array.shape(axis) > 1 && array.size() > 0 && array.strides(axis) != strides[axis])
    {
      throw py::value_error(std::string(function) + ": the array's memory is not in ITK's order (" +
                            (keepAxes ? "shape (i, j, k[, c]) with i fastest after the components, i.e. "
                                        "Fortran-contiguous for a scalar image"
                                      : "C-contiguous, shape (k, j, i[, c])") +
                            "), so a view is impossible; use image_from_array for a copy" +
                            (keepAxes ? "" : ", or keep_axes=True for a Fortran-ordered (nibabel) array"));
    }
  }
  auto image = NewImageOfLayout(layout);
  // The buffer export holds the array (and blocks its resizing) until the pixel container releases it.
  image->Operations().Import(image->ItkImage(), std::make_unique<py::buffer_info>(array.request(true)));
  SetGeometry(*image, spacing, origin, direction, function);
  return image;
}

std::unique_ptr<Image>
ImageFromArray(const py::object & arrayLike,
               bool               keepAxes,
               bool               isVector,
               const py::object & spacing,
               const py::object & origin,
               const py::object & direction)
{
  constexpr const char * function = "image_from_array";
  // Any array-like; an ndarray as it is (strides and byte order are dealt with by the copy).
  const py::array array = py::module_::import("numpy").attr("asarray")(arrayLike);
  const auto      layout = LayoutOf(array, keepAxes, isVector, function);
  auto            image = NewImageOfLayout(layout);
  SetGeometry(*image, spacing, origin, direction, function);
  const auto & operations = image->Operations();
  operations.Allocate(image->ItkImage(), false);

  // The source axes in the image's memory order: (k, j, i[, c]).
  const auto               dimension = layout.kind.dimension;
  std::vector<py::ssize_t> shape, strides;
  for (unsigned int position = 0; position < dimension; ++position)
  {
    const unsigned int axis = keepAxes ? dimension - 1 - position : position;
    shape.push_back(array.shape(axis));
    strides.push_back(array.strides(axis));
  }
  if (isVector)
  {
    shape.push_back(array.shape(dimension));
    strides.push_back(array.strides(dimension));
  }
  char *       destination = static_cast<char *>(operations.Buffer(image->ItkImage()));
  const char * source = static_cast<const char *>(array.data());
  const auto   bytes = image->NumberOfBytes();
  const bool   swap = !IsNative(array.dtype());
  const auto   itemSize = static_cast<py::ssize_t>(array.itemsize());
  {
    py::gil_scoped_release release;
    StridedCopy(destination, source, shape, strides, itemSize);
    if (swap)
    {
      SwapToNative(destination, bytes, layout.kind.component, static_cast<std::size_t>(itemSize));
    }
  }
  return image;
}
} // namespace

void
init_conversions(py::module_ & module)
{
  module.def(
    "array_view_from_image",
    [](const Image & image, bool keepAxes) { return image.ArrayView(keepAxes); },
    py::arg("image"),
    py::arg("keep_axes") = false,
    R"doc(A NumPy view of the image's pixel buffer, without a copy.

Shape (k, j, i[, c]) C-contiguous, or with keep_axes=True (i, j, k[, c]) (nibabel's voxel order) over the
same memory. Writable only if the image is. The view pins the pixel buffer itself: it stays valid after the
image is deleted or re-allocated.)doc");
  module.def(
    "array_from_image",
    [](const Image & image, bool keepAxes) { return image.ArrayCopy(keepAxes); },
    py::arg("image"),
    py::arg("keep_axes") = false,
    R"doc(A NumPy copy of the image's pixels (one memcpy, the GIL released), laid out like
array_view_from_image(image, keep_axes).)doc");

  const char * const arrayToImageArguments = R"doc(

array: (k, j, i[, c]) by default; (i, j, k[, c]) with keep_axes=True. is_vector: the last axis holds the
components of an itk::VectorImage. spacing, origin (length = image dimension) and direction (a square
matrix) are LPS and in index order (i, j, k); None leaves ITK's defaults.)doc";
  module.def("image_view_from_array",
             &ImageViewFromArray,
             py::arg("array").noconvert(),
             py::arg("keep_axes") = false,
             py::arg("is_vector") = false,
             py::arg("spacing") = py::none(),
             py::arg("origin") = py::none(),
             py::arg("direction") = py::none(),
             (std::string(R"doc(An image over the array's memory, without a copy.

The array must be a writable, aligned, native-byte-order numpy.ndarray laid out in ITK's order:
C-contiguous, or Fortran-contiguous with keep_axes=True (scalar images). Anything else raises ValueError
naming image_from_array. The image holds the array's buffer export (the array cannot be resized meanwhile)
and releases it, under the GIL, when the last reference to its pixel buffer goes.)doc") +
              arrayToImageArguments)
               .c_str());
  module.def("image_from_array",
             &ImageFromArray,
             py::arg("array"),
             py::arg("keep_axes") = false,
             py::arg("is_vector") = false,
             py::arg("spacing") = py::none(),
             py::arg("origin") = py::none(),
             py::arg("direction") = py::none(),
             (std::string(R"doc(A new image with a copy of the array's values.

Any array-like, any strides, either byte order (swapped to native). One copy, the GIL released, no
zero-fill first.)doc") +
              arrayToImageArguments)
               .c_str());
}

} // namespace nibridge
