/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeTransferSize.h"

#include "itkMacro.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace itk
{
namespace nibridge
{
namespace
{
std::string
SystemError()
{
  return std::strerror(errno);
}

/** Whether a directory entry is a temporary file of ours for `fileName`: "<fileName>.tmp-XXXXXX" or
 * ".nibridge-XXXXXX-<fileName>". */
bool
IsTemporaryNameOf(const std::string & entry, const std::string & fileName)
{
  const std::string after = fileName + ".tmp-";
  if (entry.size() == after.size() + 6 && entry.compare(0, after.size(), after) == 0)
  {
    return true;
  }
  const std::string before = ".nibridge-";
  return entry.size() == before.size() + 7 + fileName.size() && entry.compare(0, before.size(), before) == 0 &&
         entry[before.size() + 6] == '-' && entry.compare(before.size() + 7, std::string::npos, fileName) == 0;
}

/** Removes the temporary files a writer of `fileName` in `directory` left when it was killed: every writer holds an
 * exclusive lock on its temporary file for as long as it lives, so a file nobody holds is a leftover. */
void
RemoveLeftoverTemporaryFiles(const std::string & directory, const std::string & fileName)
{
  DIR * entries = opendir(directory.empty() ? "." : directory.c_str());
  if (entries == nullptr)
  {
    return;
  }
  while (const dirent * entry = readdir(entries))
  {
    if (!IsTemporaryNameOf(entry->d_name, fileName))
    {
      continue;
    }
    const std::string path = directory + entry->d_name;
    const int         descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (descriptor < 0)
    {
      continue;
    }
    struct stat status;
    if (fstat(descriptor, &status) == 0 && S_ISREG(status.st_mode) && flock(descriptor, LOCK_EX | LOCK_NB) == 0)
    {
      unlink(path.c_str());
    }
    close(descriptor);
  }
  closedir(entries);
}
} // namespace

AtomicFileWriter::AtomicFileWriter(std::string targetFileName, TemporaryName naming)
    : m_TargetFileName(std::move(targetFileName))
{
  const auto   slash = m_TargetFileName.rfind('/');
  const auto   directory = slash == std::string::npos ? std::string() : m_TargetFileName.substr(0, slash + 1);
  const auto   fileName = m_TargetFileName.substr(slash == std::string::npos ? 0 : slash + 1);
  const mode_t mask = umask(0);
  umask(mask);
  if (naming == TemporaryName::AfterTarget)
  {
    // An unnamed file in the target's directory (O_TMPFILE), linked in by Commit: nothing is left behind if the
    // process is killed, even by SIGKILL. File systems without O_TMPFILE get a named temporary file.
    m_Descriptor = open(directory.empty() ? "." : directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666 & ~mask);
    if (m_Descriptor >= 0)
    {
      return;
    }
  }
  RemoveLeftoverTemporaryFiles(directory, fileName);
  std::string pattern;
  int         suffixLength = 0;
  if (naming == TemporaryName::KeepsFileName)
  {
    pattern = directory + ".nibridge-XXXXXX-" + fileName;
    suffixLength = static_cast<int>(fileName.size() + 1);
  }
  else
  {
    pattern = m_TargetFileName + ".tmp-XXXXXX";
  }
  m_Descriptor = mkostemps(pattern.data(), suffixLength, O_CLOEXEC);
  if (m_Descriptor < 0)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot create the temporary file " << Quoted(pattern)
                             << ": " << SystemError());
  }
  m_TemporaryFileName = pattern;
  // Held until the writer is gone: a later writer of the same target removes a file nobody holds (a leftover).
  flock(m_Descriptor, LOCK_EX | LOCK_NB);
  // mkstemp creates 0600; give the file what open(..., 0666) would under the current umask.
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
  const std::string temporaryText = m_TemporaryFileName.empty() ? std::string("the file being written")
                                                                : "the temporary file " + Quoted(m_TemporaryFileName);
  const auto *      cursor = static_cast<const char *>(bytes);
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
      itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot write " << temporaryText << ": "
                               << SystemError());
    }
    cursor += written;
    byteCount -= static_cast<std::uint64_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
}

void
AtomicFileWriter::LinkUnnamedFile(bool replaceExisting)
{
  const std::string self = "/proc/self/fd/" + std::to_string(m_Descriptor);
  const auto        link = [&](const std::string & name) {
    return linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
  };
  // Straight to the target where nothing is there (atomic, never replacing); else under a temporary name, renamed
  // over it (a named file exists only between those two calls).
  if (link(m_TargetFileName))
  {
    return;
  }
  if (errno != EEXIST)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot link the written file in: " << SystemError());
  }
  if (!replaceExisting)
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": the file exists; not overwritten");
  }
  for (unsigned int attempt = 0; attempt < 100; ++attempt)
  {
    std::string temporary = m_TargetFileName + ".tmp-XXXXXX";
    const int   placeholder = mkstemp(temporary.data()); // a unique name, then replaced by the link
    if (placeholder < 0)
    {
      break;
    }
    close(placeholder);
    unlink(temporary.c_str());
    if (link(temporary))
    {
      if (std::rename(temporary.c_str(), m_TargetFileName.c_str()) != 0)
      {
        const std::string reason = SystemError();
        unlink(temporary.c_str());
        itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot rename the written file over it: " << reason);
      }
      return;
    }
    if (errno != EEXIST)
    {
      break;
    }
  }
  itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot link the written file in: " << SystemError());
}

void
AtomicFileWriter::Commit(bool replaceExisting)
{
  if (m_Descriptor >= 0 && m_TemporaryFileName.empty())
  {
    this->LinkUnnamedFile(replaceExisting);
    const int descriptor = m_Descriptor;
    m_Descriptor = -1;
    m_Committed = true;
    if (close(descriptor) != 0)
    {
      itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": cannot close the written file: " << SystemError());
    }
    return;
  }
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
