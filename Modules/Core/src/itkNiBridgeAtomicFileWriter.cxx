/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeAtomicFileWriter.h"

#include "itkMacro.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace itk
{
namespace nibridge
{
namespace
{
std::string
Quoted(const std::string & text)
{
  return '"' + text + '"';
}

std::string
SystemError()
{
  return std::strerror(errno);
}

// Larger single transfers are split: Linux moves at most about 2 GiB per call.
constexpr std::uint64_t MaximumTransferBytes = std::uint64_t{ 1 } << 30;
} // namespace

AtomicFileWriter::AtomicFileWriter(std::string targetFileName, TemporaryName naming)
    : m_TargetFileName(std::move(targetFileName))
{
  std::string pattern;
  int         suffixLength = 0;
  if (naming == TemporaryName::KeepsFileName)
  {
    const auto slash = m_TargetFileName.rfind('/');
    const auto directory = slash == std::string::npos ? std::string() : m_TargetFileName.substr(0, slash + 1);
    const auto fileName = m_TargetFileName.substr(slash == std::string::npos ? 0 : slash + 1);
    pattern = directory + ".nibridge-XXXXXX-" + fileName;
    suffixLength = static_cast<int>(fileName.size() + 1);
  }
  else
  {
    pattern = m_TargetFileName + ".tmp-XXXXXX";
  }
  m_Descriptor = mkstemps(pattern.data(), suffixLength);
  if (m_Descriptor < 0)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot create the temporary file " << Quoted(pattern)
                             << ": " << SystemError());
  }
  m_TemporaryFileName = pattern;
  // mkstemp creates 0600; give the file what open(..., 0666) would under the current umask.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(m_Descriptor, 0666 & ~mask);
}

AtomicFileWriter::~AtomicFileWriter()
{
  if (m_Descriptor >= 0)
  {
    close(m_Descriptor);
  }
  if (!m_Committed && !m_TemporaryFileName.empty())
  {
    unlink(m_TemporaryFileName.c_str());
  }
}

void
AtomicFileWriter::Write(const void * bytes, std::uint64_t byteCount)
{
  WriteAt(bytes, byteCount, m_AppendOffset);
  m_AppendOffset += byteCount;
}

void
AtomicFileWriter::WriteAt(const void * bytes, std::uint64_t byteCount, std::uint64_t offset)
{
  if (m_Descriptor < 0)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": write after the file was committed");
  }
  const auto * cursor = static_cast<const char *>(bytes);
  while (byteCount > 0)
  {
    const std::size_t piece =
      static_cast<std::size_t>(byteCount < MaximumTransferBytes ? byteCount : MaximumTransferBytes);
    const ssize_t written = pwrite(m_Descriptor, cursor, piece, static_cast<off_t>(offset));
    if (written < 0)
    {
      if (errno == EINTR)
      {
        continue;
      }
      itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot write the temporary file "
                               << Quoted(m_TemporaryFileName) << ": " << SystemError());
    }
    cursor += written;
    byteCount -= static_cast<std::uint64_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
}

void
AtomicFileWriter::Commit(bool replaceExisting)
{
  const int descriptor = m_Descriptor;
  m_Descriptor = -1;
  if (close(descriptor) != 0)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot close the temporary file "
                             << Quoted(m_TemporaryFileName) << ": " << SystemError());
  }
  int result = 0;
  if (replaceExisting)
  {
    result = std::rename(m_TemporaryFileName.c_str(), m_TargetFileName.c_str());
  }
  else
  {
    result = renameat2(AT_FDCWD, m_TemporaryFileName.c_str(), AT_FDCWD, m_TargetFileName.c_str(), RENAME_NOREPLACE);
    if (result != 0 && (errno == EINVAL || errno == ENOSYS))
    {
      // A file system without RENAME_NOREPLACE: check, then rename (a small window, but no silent loss).
      struct stat status;
      if (stat(m_TargetFileName.c_str(), &status) == 0)
      {
        errno = EEXIST;
      }
      else
      {
        result = std::rename(m_TemporaryFileName.c_str(), m_TargetFileName.c_str());
      }
    }
    if (result != 0 && errno == EEXIST)
    {
      itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": the file exists; not overwritten");
    }
  }
  if (result != 0)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot rename the temporary file "
                             << Quoted(m_TemporaryFileName) << " over it: " << SystemError());
  }
  m_Committed = true;
}

} // namespace nibridge
} // namespace itk
