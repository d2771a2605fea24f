/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeGuardImageIO.h"

#include "itkNiBridgeReadGuard.h"

#include <filesystem>

namespace itk
{
bool
NiBridgeGuardImageIO::CanReadFile(const char * fileName)
{
  if (fileName == nullptr || fileName[0] == '\0')
  {
    return false;
  }
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::symlink_status(fileName, error)))
  {
    return false; // "no such file" is every reader's own message to give
  }
  return nibridge::WhyNotReadable(fileName).has_value();
}

void
NiBridgeGuardImageIO::ReadImageInformation()
{
  nibridge::CheckInputFile(m_FileName);
  itkExceptionMacro(<< '"' << m_FileName << "\": the read guard took this file, but it reads nothing");
}

void
NiBridgeGuardImageIO::Read(void *)
{
  this->ReadImageInformation();
}

void
NiBridgeGuardImageIO::WriteImageInformation()
{
  itkExceptionMacro(<< "NiBridgeGuardImageIO writes nothing");
}

void
NiBridgeGuardImageIO::Write(const void *)
{
  itkExceptionMacro(<< "NiBridgeGuardImageIO writes nothing");
}
} // namespace itk
