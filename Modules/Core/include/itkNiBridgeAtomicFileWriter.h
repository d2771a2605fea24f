/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeAtomicFileWriter_h
#define itkNiBridgeAtomicFileWriter_h

#include "NiBridgeCoreExport.h"

#include <cstdint>
#include <string>

namespace itk
{
namespace nibridge
{
/** \class AtomicFileWriter
 * \brief Writes a file so that it appears whole or not at all.
 *
 * The bytes go to an unnamed file in the target's directory (O_TMPFILE, with the permissions a plain
 * new file would get), which Commit links in as the target (replacing an existing one by a rename):
 * if the process dies before that, even by SIGKILL, nothing is left behind. Where the file system has
 * no O_TMPFILE, and for writers that write by name (KeepsFileName), the temporary file is named and
 * locked while the writer lives; a later writer of the same target removes the ones nobody holds (the
 * leftovers of a killed process). If the writer is destroyed before Commit (an exception, a failed
 * conversion), the temporary file is gone and the target is untouched. Every write is checked (a full
 * disk is an error before anything is committed). Errors are `itk::ExceptionObject`s naming the
 * target and the reason.
 *
 * A target that is a symbolic link is written through: the file at the end of the link's chain is
 * replaced (or made), the link is kept. A target that is neither a regular file nor a directory (a
 * FIFO, a character device such as a terminal), and a descriptor given instead of a name (standard
 * output), get the bytes only on Commit, copied in one pass from an unnamed temporary file in
 * $TMPDIR: all or nothing there too.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT AtomicFileWriter
{
public:
  /** How the temporary file is named. AfterTarget: "<target>.tmp-XXXXXX". KeepsFileName:
   * "<directory>/.nibridge-XXXXXX-<file name>", a hidden file whose name ends like the target's, for
   * writers that choose the format by the file name's extension (ITK's ImageIOs, nibabel) and write by
   * name to GetTemporaryFileName() before Commit. */
  enum class TemporaryName
  {
    AfterTarget,
    KeepsFileName
  };

  /** Creates the temporary file; throws if the target's directory does not take it. */
  explicit AtomicFileWriter(std::string targetFileName, TemporaryName naming = TemporaryName::AfterTarget);
  /** Writes to an open descriptor (not closed here) on Commit; `displayName` names it in errors. */
  AtomicFileWriter(int targetDescriptor, std::string displayName);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter &) = delete;
  AtomicFileWriter &
  operator=(const AtomicFileWriter &) = delete;

  /** Appends `byteCount` bytes. */
  void
  Write(const void * bytes, std::uint64_t byteCount);

  /** Writes `byteCount` bytes at `offset`, leaving the append position where it was. */
  void
  WriteAt(const void * bytes, std::uint64_t byteCount, std::uint64_t offset);

  /** Closes the temporary file and renames it over the target. With `replaceExisting` false an
   * existing target is kept and the call throws (checked atomically where the system allows). */
  void
  Commit(bool replaceExisting = true);

  const std::string &
  GetTargetFileName() const
  {
    return m_TargetFileName;
  }

  /** The temporary file's name; empty while the file being written has none (O_TMPFILE). */
  const std::string &
  GetTemporaryFileName() const
  {
    return m_TemporaryFileName;
  }

private:
  /** Commit of an unnamed (O_TMPFILE) file. */
  void
  LinkUnnamedFile(bool replaceExisting);

  /** Creates the temporary file for `fileName` in `directory` ("" or ending in '/'). */
  void
  CreateTemporaryFile(const std::string & directory, const std::string & fileName, TemporaryName naming);

  /** Commit of a stream target: copies the temporary file to it. */
  void
  CopyToStream();

  std::string   m_TargetFileName; // as given, for messages
  std::string   m_WritePath;      // where the file is linked in: the target, or the end of its symbolic links
  std::string   m_StreamPath;     // a FIFO or device target, opened on Commit
  int           m_StreamDescriptor = -1;
  std::string   m_TemporaryFileName;
  int           m_Descriptor = -1;
  std::uint64_t m_AppendOffset = 0;
  bool          m_Committed = false;
};

} // namespace nibridge
} // namespace itk

#endif
