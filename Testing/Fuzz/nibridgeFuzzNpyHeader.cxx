/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: the .npy parser. The input is a .npy file. Its header is parsed in memory (ReadNpyHeader); a header
// that parses must describe a data block that fits in 64 bits and survive being written again (MakeNpyHeader) and
// parsed back unchanged. Then the file goes through NumPyImageIO (CanReadFile, ReadImageInformation, Read of the
// image's start), with and without the trailing axis as components: each step either succeeds or throws one clear
// itk::ExceptionObject naming the file.

#include "itkNpyFormat.h"
#include "itkNumPyImageIO.h"

#include "nibridgeFuzzSupport.h"

#include <limits>
#include <sstream>

namespace
{
void
CheckHeaderInvariants(const itk::nibridge::NpyHeader & header, std::size_t fileSize)
{
  using nibridge_fuzz::Finding;
  if (header.dataOffset > fileSize || header.itemSize == 0)
  {
    Finding("a parsed header with a data offset past the end of the input, or of items of no size");
  }
  const std::uint64_t elements = header.GetNumberOfElements();
  if (elements != 0 && header.itemSize > std::numeric_limits<std::uint64_t>::max() / elements)
  {
    Finding("a parsed header whose data size overflows 64 bits");
  }
  // What NiBridge would write for this header parses back to the same header.
  const std::string  written = itk::nibridge::MakeNpyHeader(header.descr, header.fortranOrder, header.shape);
  std::istringstream stream(written);
  const itk::nibridge::NpyHeader reread = itk::nibridge::ReadNpyHeader(stream, "rewritten.npy");
  if (reread.descr != header.descr || reread.fortranOrder != header.fortranOrder || reread.shape != header.shape ||
      reread.componentType != header.componentType || reread.complex != header.complex ||
      reread.halfFloat != header.halfFloat || reread.bigEndian != header.bigEndian ||
      reread.itemSize != header.itemSize || reread.dataOffset != written.size() || written.size() % 64 != 0)
  {
    Finding("MakeNpyHeader's header for a parsed one does not parse back to the same header");
  }
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  const std::string bytes(reinterpret_cast<const char *>(data), size);
  const std::string memoryName = "input.npy";
  const bool        parsed = nibridge_fuzz::RunExpectingClearErrors(memoryName, [&]() {
    std::istringstream             stream(bytes);
    const itk::nibridge::NpyHeader header = itk::nibridge::ReadNpyHeader(stream, memoryName);
    CheckHeaderInvariants(header, size);
  });

  const std::string fileName = nibridge_fuzz::ScratchDirectory::Write("input.npy", bytes);
  for (const bool trailingAxisIsComponents : { false, true })
  {
    const auto imageIO = itk::NumPyImageIO::New();
    imageIO->SetTrailingAxisIsComponents(trailingAxisIsComponents);
    const bool claimed = imageIO->CanReadFile(fileName.c_str());
    if (claimed != (size >= 6 && bytes.compare(0, 6, "\x93NUMPY") == 0))
    {
      nibridge_fuzz::Finding("NumPyImageIO::CanReadFile does not go by the magic string");
    }
    imageIO->SetFileName(fileName);
    nibridge_fuzz::RunExpectingClearErrors(fileName, [&]() {
      imageIO->ReadImageInformation();
      nibridge_fuzz::ReadImageStart(*imageIO);
    });
    if (!parsed)
    {
      break; // ReadNpyHeader refuses the header whatever the option: no second pass
    }
  }
  return 0;
}
