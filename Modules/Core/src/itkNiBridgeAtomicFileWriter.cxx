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
#include <cstdlib>
#include <cstring>
#include <memory>
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
/** The last component of a path. */
std::string
LastComponent(const std::string & path)
{
  const auto slash = path.rfind('/');
  return path.substr(slash == std::string::npos ? 0 : slash + 1);
}

/** Where temporary files of stream targets go: $TMPDIR, else /tmp, with a trailing slash. */
std::string
TemporaryDirectory()
{
  const char *      variable = std::getenv("TMPDIR");
  const std::string directory = variable != nullptr && *variable != '\0' ? variable : "/tmp";
  return directory.back() == '/' ? directory : directory + '/';
}

/** The file a target path names: the path itself, or for a symbolic link the file at the end of its chain, which may
 * not exist yet (a dangling link names the file it would make). */
std::string
EndOfSymbolicLinks(const std::string & target)
{
  std::string current = target;
  for (unsigned int depth = 0; depth < 40; ++depth)
  {
    struct stat status;
    if (lstat(current.c_str(), &status) != 0 || !S_ISLNK(status.st_mode))
    {
      return current;
    }
    std::string   link(static_cast<std::size_t>(status.st_size > 0 ? status.st_size : 255) + 1, '\0');
    const ssize_t length = readlink(current.c_str(), link.data(), link.size());
    if (length < 0 || static_cast<std::size_t>(length) >= link.size())
    {
      itkGenericExceptionMacro(<< Quoted(target) << ": cannot read the symbolic link " << Quoted(current) << ": "
                               << (length < 0 ? SystemError() : std::string("it changed while read")));
    }
    link.resize(static_cast<std::size_t>(length));
    const auto slash = current.rfind('/');
    current = link.front() == '/' || slash == std::string::npos ? link : current.substr(0, slash + 1) + link;
  }
  itkGenericExceptionMacro(<< Quoted(target) << ": too many levels of symbolic links");
}
} // namespace

AtomicFileWriter::AtomicFileWriter(std::string targetFileName, TemporaryName naming)
    : m_TargetFileName(std::move(targetFileName))
{
  struct stat status;
  if (stat(m_TargetFileName.c_str(), &status) == 0 && !S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode))
  {
    // A FIFO, a terminal, /dev/stdout, ...: nothing to replace; the bytes are copied to it on Commit.
    m_StreamPath = m_TargetFileName;
    this->CreateTemporaryFile(TemporaryDirectory(), LastComponent(m_TargetFileName), naming);
    return;
  }
  m_WritePath = EndOfSymbolicLinks(m_TargetFileName);
  const auto slash = m_WritePath.rfind('/');
  this->CreateTemporaryFile(
    slash == std::string::npos ? std::string() : m_WritePath.substr(0, slash + 1), LastComponent(m_WritePath), naming);
}

AtomicFileWriter::AtomicFileWriter(int targetDescriptor, std::string displayName)
    : m_TargetFileName(std::move(displayName))
    , m_StreamDescriptor(targetDescriptor)
{
  this->CreateTemporaryFile(TemporaryDirectory(), "stream", TemporaryName::AfterTarget);
}

void
AtomicFileWriter::CreateTemporaryFile(const std::string & directory, const std::string & fileName, TemporaryName naming)
{
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
    pattern = directory + fileName + ".tmp-XXXXXX";
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
  if (link(m_WritePath))
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
    std::string temporary = m_WritePath + ".tmp-XXXXXX";
    const int   placeholder = mkstemp(temporary.data()); // a unique name, then replaced by the link
    if (placeholder < 0)
    {
      break;
    }
    close(placeholder);
    unlink(temporary.c_str());
    if (link(temporary))
    {
      if (std::rename(temporary.c_str(), m_WritePath.c_str()) != 0)
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
AtomicFileWriter::CopyToStream()
{
  const bool        opened = m_StreamDescriptor < 0;
  const int         target = opened ? open(m_StreamPath.c_str(), O_WRONLY | O_CLOEXEC) : m_StreamDescriptor;
  const std::string reason = target < 0 ? SystemError() : std::string();
  // Named temporary files are written by name (KeepsFileName): read what the name holds now.
  const int source =
    m_TemporaryFileName.empty() ? m_Descriptor : open(m_TemporaryFileName.c_str(), O_RDONLY | O_CLOEXEC);
  std::string failure = target < 0 ? "cannot open it: " + reason : std::string();
  if (failure.empty() && source < 0)
  {
    failure = "cannot read the temporary file back: " + SystemError();
  }
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  for (off_t offset = 0; failure.empty();)
  {
    const ssize_t count = pread(source, buffer.get(), 1 << 20, offset);
    if (count < 0 && errno == EINTR)
    {
      continue;
    }
    if (count <= 0)
    {
      failure = count < 0 ? "cannot read the temporary file back: " + SystemError() : std::string();
      break;
    }
    offset += count;
    for (ssize_t done = 0; done < count && failure.empty();)
    {
      const ssize_t written = write(target, buffer.get() + done, static_cast<std::size_t>(count - done));
      if (written < 0 && errno != EINTR)
      {
        failure = "cannot write to it: " + SystemError();
      }
      done += written > 0 ? written : 0;
    }
  }
  if (source >= 0 && source != m_Descriptor)
  {
    close(source);
  }
  if (opened && target >= 0 && close(target) != 0 && failure.empty())
  {
    failure = "cannot close it: " + SystemError();
  }
  if (!failure.empty())
  {
    itkGenericExceptionMacro(<< Quoted(m_TargetFileName) << ": " << failure);
  }
}

void
AtomicFileWriter::Commit(bool replaceExisting)
{
  if (m_Descriptor >= 0 && (m_StreamDescriptor >= 0 || !m_StreamPath.empty()))
  {
    // Nothing to replace: a FIFO, a device or a descriptor gets the whole file now, whatever replaceExisting says.
    this->CopyToStream();
    close(m_Descriptor);
    m_Descriptor = -1; // a named temporary file goes with the writer
    return;
  }
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
    result = std::rename(m_TemporaryFileName.c_str(), m_WritePath.c_str());
  }
  else
  {
    result = renameat2(AT_FDCWD, m_TemporaryFileName.c_str(), AT_FDCWD, m_WritePath.c_str(), RENAME_NOREPLACE);
    if (result != 0 && (errno == EINVAL || errno == ENOSYS))
    {
      // A file system without RENAME_NOREPLACE: check, then rename (a small window, but no silent loss).
      struct stat status;
      if (lstat(m_WritePath.c_str(), &status) == 0)
      {
        errno = EEXIST;
      }
      else
      {
        result = std::rename(m_TemporaryFileName.c_str(), m_WritePath.c_str());
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
