/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: format sniffing, what every caller runs on every file before choosing a reader: CanReadFile of
// each of Core's ImageIOs, nibridge::SniffNiftiFile and nibridge::ReadFileStart. None may throw, crash or read past
// what it asks for, whatever the file holds. The input's first byte chooses the file's name (bits 0-3, from Names)
// and, for a gzip name, whether the rest is written gzip-compressed (bit 4) or as it is; pairs get both files.

#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeMGHImageIO.h"
#include "itkNiBridgeNiftiImageIO.h"
#include "itkNumPyImageIO.h"

#include "nibridgeFuzzSupport.h"

namespace
{
constexpr const char * Names[] = { "f.nii", "f.nii.gz", "f.hdr", "f.img", "f.hdr.gz",  "f.img.gz", "f.mgh", "f.mgz",
                                   "f.npy", "F.NII.GZ", "F.HDR", "f.MGZ", "f.nii.bz2", "f.gz",     "f",     "f.img" };

bool
EndsWith(const std::string & text, const std::string & suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template<typename TImageIO>
void
ExpectCanReadFileAnswers(const std::string & fileName)
{
  const auto imageIO = TImageIO::New();
  try
  {
    imageIO->CanReadFile(fileName.c_str());
  }
  catch (...)
  {
    nibridge_fuzz::Finding(std::string(imageIO->GetNameOfClass()) + "::CanReadFile threw");
  }
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  if (size < 1)
  {
    return 0;
  }
  const std::uint8_t control = data[0];
  const std::string  bytes(reinterpret_cast<const char *>(data) + 1, size - 1);
  const std::string  name = Names[control & 15u];
  std::string        lower = name;
  for (char & character : lower)
  {
    character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  }
  const bool        gzipName = EndsWith(lower, ".gz") || EndsWith(lower, ".mgz");
  const std::string content = gzipName && (control & 16u) != 0 ? nibridge_fuzz::Gzip(bytes) : bytes;
  const std::string fileName = nibridge_fuzz::ScratchDirectory::Write(name, content);
  if (EndsWith(lower, ".hdr") || EndsWith(lower, ".img") || EndsWith(lower, ".hdr.gz") || EndsWith(lower, ".img.gz"))
  {
    // The other file of the pair, with the same bytes (pair.hdr for pair.img and the other way round).
    std::string       other = name;
    const std::size_t dot = lower.find('.');
    const std::string otherExtension = lower.compare(dot, 4, ".hdr") == 0 ? "img" : "hdr";
    other.replace(dot + 1, 3, otherExtension);
    nibridge_fuzz::ScratchDirectory::Write(other, content);
  }

  ExpectCanReadFileAnswers<itk::NiBridgeNiftiImageIO>(fileName);
  ExpectCanReadFileAnswers<itk::NiBridgeMGHImageIO>(fileName);
  ExpectCanReadFileAnswers<itk::NumPyImageIO>(fileName);
  try
  {
    itk::nibridge::SniffNiftiFile(fileName);
    for (const std::size_t count : { std::size_t{ 0 }, std::size_t{ 4 }, std::size_t{ 348 }, std::size_t{ 552 } })
    {
      for (const bool gzipped : { false, true })
      {
        const std::string start = itk::nibridge::ReadFileStart(fileName, count, gzipped);
        if (start.size() > count || (!gzipped && start != content.substr(0, count)))
        {
          nibridge_fuzz::Finding("ReadFileStart gave other bytes than the file's first ones");
        }
      }
    }
  }
  catch (...)
  {
    nibridge_fuzz::Finding("SniffNiftiFile or ReadFileStart threw");
  }
  return 0;
}
