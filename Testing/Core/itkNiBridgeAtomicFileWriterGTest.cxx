/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeAtomicFileWriter.h"

#include "itkMacro.h"
#include "nibridgeGTestSupport.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace
{
using itk::nibridge::AtomicFileWriter;
using nibridge_test::ReadBytes;

std::string
OutputPath(const std::string & name)
{
  const std::string directory = std::string(NIBRIDGE_TEST_OUTPUT_DIR) + "/AtomicFileWriter";
  std::filesystem::create_directories(directory);
  return directory + "/" + name;
}

void
Store(const std::string & fileName, const std::string & text)
{
  std::ofstream(fileName, std::ios::binary) << text;
}

/** The names in the directory of `fileName` that start with its name: the file and any temporaries. */
std::vector<std::string>
FilesNamedLike(const std::string & fileName)
{
  const std::filesystem::path path(fileName);
  std::vector<std::string>    names;
  for (const auto & entry : std::filesystem::directory_iterator(path.parent_path()))
  {
    const std::string name = entry.path().filename().string();
    if (name.rfind(path.filename().string(), 0) == 0)
    {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}
} // namespace

TEST(AtomicFileWriter, CommittedFileHasEverythingWrittenAndNoTemporaryIsLeft)
{
  const std::string target = OutputPath("committed.bin");
  std::filesystem::remove(target);
  {
    AtomicFileWriter writer(target);
    EXPECT_FALSE(std::filesystem::exists(target)) << "nothing appears before the commit";
    writer.Write("hello ", 6);
    writer.Write("world", 5);
    writer.WriteAt("W", 1, 6);
    writer.Commit();
  }
  EXPECT_EQ(ReadBytes(target), "hello World");
  EXPECT_EQ(FilesNamedLike(target), std::vector<std::string>{ "committed.bin" });
}

TEST(AtomicFileWriter, ATemporaryThatKeepsTheFileNameEndsLikeTheTargetAndIsWrittenByName)
{
  const std::string target = OutputPath("volume.nii.gz");
  Store(target, "precious");
  const std::string prefix = OutputPath(".nibridge-");
  {
    AtomicFileWriter  writer(target, AtomicFileWriter::TemporaryName::KeepsFileName);
    const std::string temporary = writer.GetTemporaryFileName();
    EXPECT_EQ(temporary.rfind(prefix, 0), 0u) << temporary << ": a hidden file in the target's directory";
    ASSERT_GE(temporary.size(), target.size());
    EXPECT_EQ(temporary.substr(temporary.size() - std::string("-volume.nii.gz").size()), "-volume.nii.gz") << temporary;
    EXPECT_TRUE(std::filesystem::exists(temporary));
    Store(temporary, "whole new file"); // another writer, by name
    EXPECT_EQ(ReadBytes(target), "precious") << "nothing changes before the commit";
    writer.Commit();
  }
  EXPECT_EQ(ReadBytes(target), "whole new file");
  for (const auto & entry : std::filesystem::directory_iterator(std::filesystem::path(target).parent_path()))
  {
    const std::string name = entry.path().filename().string();
    const bool isThisTemporary = name.rfind(".nibridge-", 0) == 0 && name.find("-volume.nii.gz") != std::string::npos;
    EXPECT_FALSE(isThisTemporary) << "left behind: " << entry.path();
  }
}

TEST(AtomicFileWriter, AnUncommittedTemporaryThatKeepsTheFileNameIsRemoved)
{
  const std::string target = OutputPath("abandoned.mgz");
  std::string       temporary;
  {
    AtomicFileWriter writer(target, AtomicFileWriter::TemporaryName::KeepsFileName);
    temporary = writer.GetTemporaryFileName();
    Store(temporary, "half a file");
  }
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(AtomicFileWriter, AnUncommittedWriterLeavesTheTargetUntouchedAndRemovesItsTemporary)
{
  const std::string target = OutputPath("untouched.bin");
  Store(target, "precious");
  {
    AtomicFileWriter writer(target);
    writer.Write("half a file", 11);
  }
  EXPECT_EQ(ReadBytes(target), "precious");
  EXPECT_EQ(FilesNamedLike(target), std::vector<std::string>{ "untouched.bin" });
}

TEST(AtomicFileWriter, CommitWithoutReplaceKeepsAnExistingTargetAndSaysSo)
{
  const std::string target = OutputPath("kept.bin");
  Store(target, "precious");
  AtomicFileWriter writer(target);
  writer.Write("new", 3);
  try
  {
    writer.Commit(false);
    ADD_FAILURE() << "an existing file was replaced";
  }
  catch (const itk::ExceptionObject & error)
  {
    EXPECT_NE(std::string(error.GetDescription()).find("\"" + target + "\": the file exists"), std::string::npos)
      << error.GetDescription();
  }
  EXPECT_EQ(ReadBytes(target), "precious");
}

TEST(AtomicFileWriter, CommitReplacesAnExistingTargetWhole)
{
  const std::string target = OutputPath("replaced.bin");
  Store(target, "a much longer old content");
  AtomicFileWriter writer(target);
  writer.Write("new", 3);
  writer.Commit(true);
  EXPECT_EQ(ReadBytes(target), "new");
}

TEST(AtomicFileWriter, ASymbolicLinkTargetIsWrittenThroughAndKept)
{
  const std::string target = OutputPath("linked-file.bin");
  const std::string link = OutputPath("link.bin");
  std::filesystem::remove(target);
  std::filesystem::remove(link);
  std::filesystem::create_symlink("linked-file.bin", link); // dangling: it names the file to make
  for (const std::string text : { "first", "second, replacing" })
  {
    AtomicFileWriter writer(link);
    writer.Write(text.data(), text.size());
    writer.Commit(true);
    EXPECT_TRUE(std::filesystem::is_symlink(link)) << "the link was replaced by a file";
    EXPECT_EQ(ReadBytes(target), text);
  }
  AtomicFileWriter kept(link);
  kept.Write("x", 1);
  EXPECT_THROW(kept.Commit(false), itk::ExceptionObject) << "the file the link names exists";
  EXPECT_EQ(ReadBytes(target), "second, replacing");
}

TEST(AtomicFileWriter, AFifoTargetGetsTheWholeFileOnCommitAndNothingBefore)
{
  const std::string fifo = OutputPath("stream.fifo");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  const pid_t reader = fork();
  if (reader == 0)
  {
    // The reader blocks in open until the writer opens the FIFO: at Commit, never before.
    const std::string bytes = ReadBytes(fifo);
    _exit(bytes == "header+data" ? 0 : 1);
  }
  {
    AtomicFileWriter writer(fifo);
    writer.Write("header", 6);
    writer.Write("-data", 5);
    writer.WriteAt("+", 1, 6);
    writer.Commit(false); // nothing to replace: a FIFO is not a file that could be lost
  }
  int status = 0;
  waitpid(reader, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the reader did not get the whole file";
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
}

TEST(AtomicFileWriter, ADescriptorTargetGetsNothingWhenTheWriterIsNotCommitted)
{
  const std::string captured = OutputPath("descriptor.bin");
  const int         descriptor = open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(descriptor, 0);
  {
    AtomicFileWriter failed(descriptor, "standard output");
    failed.Write("half", 4);
  }
  {
    AtomicFileWriter writer(descriptor, "standard output");
    writer.Write("whole", 5);
    writer.Commit();
  }
  close(descriptor);
  EXPECT_EQ(ReadBytes(captured), "whole");
}

TEST(AtomicFileWriter, AMissingDirectoryIsReportedWithTheTargetName)
{
  const std::string target = OutputPath("no-such-directory/file.bin");
  try
  {
    AtomicFileWriter writer(target);
    ADD_FAILURE() << "a temporary file was created in a missing directory";
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string message = error.GetDescription();
    EXPECT_NE(message.find("\"" + target + "\": cannot create the temporary file"), std::string::npos) << message;
  }
}

namespace
{
/** Runs `action` in a child process and returns how it ended (waitpid's status). */
template<typename TAction>
int
InChildProcess(TAction && action)
{
  const pid_t child = fork();
  if (child == 0)
  {
    action();
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}
} // namespace

TEST(AtomicFileWriter, AWriterKilledBeforeItsCommitLeavesNothingBehind)
{
  const std::string target = OutputPath("killed.npy");
  Store(target, "precious");
  const int status = InChildProcess([&] {
    AtomicFileWriter writer(target);
    writer.Write("half a file", 11);
    kill(getpid(), SIGKILL); // no destructor, no clean-up: as `kill -9`
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(ReadBytes(target), "precious");
  EXPECT_EQ(FilesNamedLike(target), std::vector<std::string>{ "killed.npy" }) << "an unnamed (O_TMPFILE) file";
}

TEST(AtomicFileWriter, ALaterWriterRemovesTheNamedTemporaryAKilledOneLeftButNotALiveOnes)
{
  const std::string target = OutputPath("leftover.mha");
  const std::string leftover = OutputPath(".nibridge-AbC123-leftover.mha");
  Store(leftover, "what a killed writer left");
  AtomicFileWriter live(target, AtomicFileWriter::TemporaryName::KeepsFileName);
  EXPECT_FALSE(std::filesystem::exists(leftover)) << "nobody held it";
  AtomicFileWriter second(target, AtomicFileWriter::TemporaryName::KeepsFileName);
  EXPECT_TRUE(std::filesystem::exists(live.GetTemporaryFileName())) << "the first writer still holds its file";
  const std::string other = OutputPath(".nibridge-AbC123-other.mha");
  Store(other, "another target's");
  AtomicFileWriter third(target, AtomicFileWriter::TemporaryName::KeepsFileName);
  EXPECT_TRUE(std::filesystem::exists(other)) << "only this target's temporaries are looked at";
}

TEST(AtomicFileWriter, AFullDiskIsAnErrorAndTheOldFileSurvives)
{
  const std::string target = OutputPath("full-disk.npy");
  Store(target, "precious");
  // A file size limit stands in for a full disk: writes past it fail (EFBIG) as they would with ENOSPC.
  const int status = InChildProcess([&] {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{ 4096, 4096 };
    setrlimit(RLIMIT_FSIZE, &limit);
    const std::string block(64 * 1024, 'x');
    try
    {
      AtomicFileWriter writer(target);
      writer.Write(block.data(), block.size());
      writer.Commit();
    }
    catch (const itk::ExceptionObject & error)
    {
      const std::string message = error.GetDescription();
      _exit(message.find("\"" + target + "\": cannot write") != std::string::npos ? 3 : 4);
    }
    _exit(5);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << "4: an error not naming the target; 5: no error";
  EXPECT_EQ(ReadBytes(target), "precious");
  EXPECT_EQ(FilesNamedLike(target), std::vector<std::string>{ "full-disk.npy" });
}
