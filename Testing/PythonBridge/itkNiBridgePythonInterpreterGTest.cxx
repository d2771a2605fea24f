/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonInterpreter.h"
#include "itkNiBabelImageIO.h"
#include "itkNiBridgePythonTestSupport.h"

#include "itkMacro.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace
{
using itk::nibridge::PythonInterpreter;
using nibridge_test::ExceptionDescription;
using nibridge_test::Generated;
using nibridge_test::Manifest;
using nibridge_test::RunHelper;


bool
Contains(const std::string & text, const std::string & part)
{
  return text.find(part) != std::string::npos;
}

struct sigaction
CurrentAction(int signalNumber)
{
  struct sigaction action
  {};
  sigaction(signalNumber, nullptr, &action);
  return action;
}

void
IgnoreSignal(int)
{}
} // namespace

TEST(PythonInterpreter, EvaluatesExpressionsInTheBuildPython)
{
  EXPECT_EQ(PythonInterpreter::Evaluate("6 * 7"), "42");
  EXPECT_TRUE(PythonInterpreter::IsRunning());
  EXPECT_TRUE(PythonInterpreter::WasStartedByNiBridge());
  EXPECT_EQ(PythonInterpreter::Evaluate("__import__('sys').prefix"), PythonInterpreter::GetBuildHome());
  EXPECT_EQ(PythonInterpreter::Evaluate("'.'.join(map(str, __import__('sys').version_info[:2]))"),
            std::to_string(PY_MAJOR_VERSION_FOR_TEST) + "." + std::to_string(PY_MINOR_VERSION_FOR_TEST));
}

TEST(PythonInterpreter, FindsNumPyAndNiBabelInTheBuildPythonsSitePackages)
{
  PythonInterpreter::ImportModule("numpy");
  PythonInterpreter::ImportModule("nibabel");
  const std::string numpyFile = PythonInterpreter::Evaluate("__import__('numpy').__file__");
  // The build venv's, if NiBridge was built in one; else the build Python's own, which follow from its home.
  std::vector<std::string> directories = PythonInterpreter::GetBuildSitePackages();
  if (directories.empty())
  {
    const std::string listed = PythonInterpreter::Evaluate("'\\n'.join(__import__('site').getsitepackages())");
    for (std::size_t start = 0; start < listed.size();)
    {
      const std::size_t end = std::min(listed.find('\n', start), listed.size());
      directories.push_back(listed.substr(start, end - start));
      start = end + 1;
    }
    EXPECT_EQ(PythonInterpreter::GetHome(), PythonInterpreter::GetBuildHome());
  }
  bool inBuildSitePackages = false;
  for (const std::string & directory : directories)
  {
    inBuildSitePackages = inBuildSitePackages || numpyFile.rfind(directory, 0) == 0;
  }
  EXPECT_TRUE(inBuildSitePackages) << numpyFile;
  EXPECT_EQ(PythonInterpreter::Evaluate("int(__import__('numpy').arange(4).sum())"), "6");
}

TEST(PythonInterpreter, TurnsAPythonExceptionIntoAnExceptionObjectWithTypeMessageAndTraceback)
{
  const std::string description = ExceptionDescription([]() {
    PythonInterpreter::Execute("def inner():\n    raise ValueError('bad value 42')\n\ninner()\n", "\"some.file\"");
  });
  EXPECT_TRUE(Contains(description, "\"some.file\": ValueError: bad value 42")) << description;
  EXPECT_TRUE(Contains(description, "Traceback (most recent call last)")) << description;
  EXPECT_TRUE(Contains(description, "in inner")) << description;
  // The interpreter is still usable afterwards: the error was cleared.
  EXPECT_EQ(PythonInterpreter::Evaluate("1 + 1"), "2");
}

TEST(PythonInterpreter, NamesAMissingModuleAndThePythonItLookedIn)
{
  const std::string description =
    ExceptionDescription([]() { PythonInterpreter::ImportModule("nibridge_no_such_module"); });
  EXPECT_TRUE(Contains(description,
                       "nibridge_no_such_module is not importable from the Python at " +
                         PythonInterpreter::GetBuildHome() + ": ModuleNotFoundError"))
    << description;
}

TEST(PythonInterpreter, ReleasesTheGILAfterStartingSoThatOtherThreadsRunPython)
{
  PythonInterpreter::Initialize();
  // If the starting thread kept the GIL, this thread would wait for ever: give it ten seconds.
  auto other = std::async(std::launch::async, []() { return PythonInterpreter::Evaluate("'from another thread'"); });
  ASSERT_EQ(other.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(other.get(), "from another thread");
}

TEST(PythonInterpreter, RunsPythonFromManyThreadsAtOnce)
{
  constexpr int            numberOfThreads = 8;
  constexpr int            callsPerThread = 50;
  std::vector<std::string> failures(numberOfThreads);
  std::vector<std::thread> threads;
  for (int thread = 0; thread < numberOfThreads; ++thread)
  {
    threads.emplace_back([thread, &failures]() {
      for (int call = 0; call < callsPerThread; ++call)
      {
        const std::string expected = std::to_string(thread * 1000 + call);
        const std::string value =
          PythonInterpreter::Evaluate(std::to_string(thread) + " * 1000 + " + std::to_string(call));
        if (value != expected)
        {
          failures[thread] = value + " instead of " + expected;
        }
      }
    });
  }
  for (std::thread & thread : threads)
  {
    thread.join();
  }
  for (const std::string & failure : failures)
  {
    EXPECT_TRUE(failure.empty()) << failure;
  }
}

TEST(PythonInterpreter, LeavesTheHostsSignalHandlersAlone)
{
  if (PythonInterpreter::IsRunning())
  {
    GTEST_SKIP() << "Python already runs in this process (tests run in one process): needs a fresh one";
  }
  std::signal(SIGINT, IgnoreSignal);
  const auto interruptBefore = CurrentAction(SIGINT).sa_handler;
  const auto pipeBefore = CurrentAction(SIGPIPE).sa_handler;
  PythonInterpreter::ImportModule("nibabel");
  EXPECT_EQ(CurrentAction(SIGINT).sa_handler, interruptBefore);
  EXPECT_EQ(CurrentAction(SIGPIPE).sa_handler, pipeBefore);
  std::signal(SIGINT, SIG_DFL);
}

TEST(PythonInterpreter, StartsOnlyAtTheFirstReadAndImportsNiBabelOnlyThen)
{
  if (PythonInterpreter::IsRunning())
  {
    GTEST_SKIP() << "Python already runs in this process (tests run in one process): needs a fresh one";
  }
  const std::string fileName = Generated("tiny").at("file");
  auto              imageIO = itk::NiBabelImageIO::New();
  EXPECT_TRUE(imageIO->CanReadFile(fileName.c_str()));
  EXPECT_FALSE(PythonInterpreter::IsRunning()) << "creating the IO and CanReadFile must not start Python";
  PythonInterpreter::Initialize();
  EXPECT_EQ(PythonInterpreter::Evaluate("'nibabel' in __import__('sys').modules"), "False");
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  EXPECT_EQ(PythonInterpreter::Evaluate("'nibabel' in __import__('sys').modules"), "True");
}

TEST(PythonInterpreter, CanReadFileThroughTheFactoryNeverStartsPython)
{
  const nibridge_test::ChildResult child = RunHelper({ "can-read", Generated("tiny").at("file") });
  EXPECT_EQ(child.exitCode, 0) << child.output;
  EXPECT_TRUE(Contains(child.output, "io NiBabelImageIO python-running 0")) << child.output;
}

TEST(PythonInterpreter, UsesAPythonTheHostStartedInsteadOfStartingAnother)
{
  const nibridge_test::ChildResult child = RunHelper({ "host-interpreter", Generated("tiny").at("file") });
  EXPECT_EQ(child.exitCode, 0) << child.output;
  EXPECT_TRUE(Contains(child.output, "read NiBabelImageIO size [2, 3, 4, 1]")) << child.output;
  EXPECT_TRUE(Contains(child.output, "started-by-nibridge 0 host-marker 42")) << child.output;
}

TEST(PythonInterpreter, ReportsAMissingNiBabelAtReadTimeNamingTheFileAndThePython)
{
  const std::string                fileName = Generated("tiny").at("file");
  const nibridge_test::ChildResult child =
    RunHelper({ "read", fileName }, { { "NIBRIDGE_PYTHONPATH", Generated("without_nibabel") } });
  EXPECT_EQ(child.exitCode, 1) << child.output;
  EXPECT_TRUE(Contains(child.output, "\"" + fileName + "\": nibabel is not importable from the Python at "))
    << child.output;
  EXPECT_TRUE(Contains(child.output, "ImportError: nibabel is hidden by the NiBridge test")) << child.output;
}

TEST(PythonInterpreter, ReportsAMissingNumPyAtReadTimeNamingTheFileAndThePython)
{
  const std::string                fileName = Generated("tiny").at("file");
  const nibridge_test::ChildResult child =
    RunHelper({ "read", fileName }, { { "NIBRIDGE_PYTHONPATH", Generated("without_numpy") } });
  EXPECT_EQ(child.exitCode, 1) << child.output;
  EXPECT_TRUE(Contains(child.output, "\"" + fileName + "\": numpy is not importable from the Python at "))
    << child.output;
  EXPECT_TRUE(Contains(child.output, "ImportError: numpy is hidden by the NiBridge test")) << child.output;
}

TEST(PythonInterpreter, StartsWithTheHomeOfTheLibPythonTheLoaderFound)
{
  // A copy of the build's libpython in a prefix of its own, beside (a link to) the standard library, found by the
  // loader first (LD_LIBRARY_PATH before the RUNPATH): NiBridge starts Python there, not at the build's home.
  const std::filesystem::path library = std::filesystem::canonical(PythonInterpreter::GetBuildLibraryPath());
  if (library.extension() == ".a")
  {
    GTEST_SKIP() << "NOT RUN: the build's libpython is static (" << library << "): no library to move";
  }
  const std::string version =
    std::to_string(PY_MAJOR_VERSION_FOR_TEST) + "." + std::to_string(PY_MINOR_VERSION_FOR_TEST);
  const std::filesystem::path prefix = nibridge_test::OutputPath("moved_python");
  std::filesystem::remove_all(prefix);
  std::filesystem::create_directories(prefix / "lib");
  std::filesystem::copy_file(library, prefix / "lib" / library.filename()); // its file name is its SONAME
  std::filesystem::create_directory_symlink(std::filesystem::path(PythonInterpreter::GetBuildHome()) / "lib" /
                                              ("python" + version),
                                            prefix / "lib" / ("python" + version));
  const nibridge_test::ChildResult child =
    RunHelper({ "python-home" }, { { "LD_LIBRARY_PATH", (prefix / "lib").string() } });
  const std::string home = std::filesystem::canonical(prefix).string();
  EXPECT_EQ(child.exitCode, 0) << child.output;
  EXPECT_TRUE(Contains(child.output, "home " + home + "\n")) << child.output;
  EXPECT_TRUE(Contains(child.output, "prefix " + home + "\n")) << child.output;
}

TEST(PythonInterpreter, ReportsAPythonHomeWithoutAStandardLibraryAtReadTime)
{
  const std::string                fileName = Generated("tiny").at("file");
  const std::string                home = nibridge_test::OutputPath("no_python_here");
  const nibridge_test::ChildResult child = RunHelper({ "read", fileName }, { { "NIBRIDGE_PYTHONHOME", home } });
  EXPECT_EQ(child.exitCode, 1) << child.output;
  EXPECT_TRUE(
    Contains(child.output,
             "\"" + fileName + "\": cannot start the embedded Python (home " + home + "): it has no standard library"))
    << child.output;
}
