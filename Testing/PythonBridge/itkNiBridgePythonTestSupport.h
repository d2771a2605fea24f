/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonTestSupport_h
#define itkNiBridgePythonTestSupport_h

// Helpers shared by the NiBridgePythonGTests files: the test data manifest, unique output names, whole-image
// reads through an ImageIO, and child processes (for what needs a fresh process: environment variables read
// when Python starts, a host-started Python).

#include "itkImageIOBase.h"

#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char ** environ;

namespace nibridge_test
{
/** The description of the itk::ExceptionObject `action` throws; fails the test if it throws none. */
template<typename TAction>
std::string
ExceptionDescription(TAction && action)
{
  try
  {
    action();
  }
  catch (const itk::ExceptionObject & error)
  {
    return error.GetDescription();
  }
  ADD_FAILURE() << "no itk::ExceptionObject was thrown";
  return {};
}

/** The manifest written by nibridge_python_test_data.py (the NiBridgePython.test-data fixture); made here if
 * the fixture did not run (the test executable run by hand). */
inline const nlohmann::json &
Manifest()
{
  static nlohmann::json manifest;
  static std::once_flag once;
  std::call_once(once, []() {
    const std::string manifestPath = std::string(NIBRIDGE_TEST_DATA_DIR) + "/manifest.json";
    if (!std::filesystem::exists(manifestPath))
    {
      const std::string command = std::string("\"") + NIBRIDGE_TEST_PYTHON + "\" \"" + NIBRIDGE_TEST_DATA_SCRIPT +
                                  "\" \"" + NIBRIDGE_TEST_DATA_DIR + "\"";
      if (std::system(command.c_str()) != 0)
      {
        throw std::runtime_error("the test data script failed: " + command);
      }
    }
    std::ifstream file(manifestPath);
    manifest = nlohmann::json::parse(file);
  });
  return manifest;
}

/** A generated case of the manifest ("stress_0", "five_d", ...). */
inline const nlohmann::json &
Generated(const std::string & name)
{
  return Manifest().at("generated").at(name);
}

/** A file name unique to the calling test, so that `ctest -j` runs never share a file. */
inline std::string
OutputPath(const std::string & name)
{
  const ::testing::TestInfo * test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string                 unique = std::string(test->test_suite_name()) + "_" + test->name();
  for (char & character : unique)
  {
    if (!std::isalnum(static_cast<unsigned char>(character)))
    {
      character = '_';
    }
  }
  std::filesystem::create_directories(NIBRIDGE_TEST_OUTPUT_DIR);
  return std::string(NIBRIDGE_TEST_OUTPUT_DIR) + "/" + unique + "_" + name;
}

/** Everything an ImageIO says about a file, and its whole buffer. */
struct WholeRead
{
  std::vector<itk::SizeValueType>  size;
  std::vector<double>              spacing;
  std::vector<double>              origin;
  std::vector<std::vector<double>> direction; // [row][column]
  itk::IOComponentEnum             componentType = itk::IOComponentEnum::UNKNOWNCOMPONENTTYPE;
  itk::IOPixelEnum                 pixelType = itk::IOPixelEnum::UNKNOWNPIXELTYPE;
  unsigned int                     numberOfComponents = 0;
  std::vector<char>                bytes;
  itk::MetaDataDictionary          dictionary;
};

/** Reads the whole file through `imageIO` (ReadImageInformation, then Read of the largest region). */
inline WholeRead
ReadWhole(itk::ImageIOBase * imageIO, const std::string & fileName)
{
  WholeRead result;
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  const unsigned int dimension = imageIO->GetNumberOfDimensions();
  itk::ImageIORegion region(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    result.size.push_back(imageIO->GetDimensions(axis));
    result.spacing.push_back(imageIO->GetSpacing(axis));
    result.origin.push_back(imageIO->GetOrigin(axis));
    region.SetIndex(axis, 0);
    region.SetSize(axis, imageIO->GetDimensions(axis));
  }
  result.direction.assign(dimension, std::vector<double>(dimension));
  for (unsigned int column = 0; column < dimension; ++column)
  {
    const std::vector<double> direction = imageIO->GetDirection(column);
    for (unsigned int row = 0; row < dimension; ++row)
    {
      result.direction[row][column] = direction[row];
    }
  }
  result.componentType = imageIO->GetComponentType();
  result.pixelType = imageIO->GetPixelType();
  result.numberOfComponents = imageIO->GetNumberOfComponents();
  result.dictionary = imageIO->GetMetaDataDictionary();
  imageIO->SetIORegion(region);
  result.bytes.resize(imageIO->GetImageSizeInBytes());
  imageIO->Read(result.bytes.data());
  return result;
}

/** What a child process printed (stdout and stderr together) and how it ended. */
struct ChildResult
{
  int         exitCode = -1;
  std::string output;
};

/** Runs `arguments` (the program first) with the environment changed by `environment` (an empty value unsets). */
inline ChildResult
RunChild(const std::vector<std::string> & arguments, const std::map<std::string, std::string> & environment = {})
{
  std::vector<std::string> environmentEntries;
  for (char ** entry = environ; *entry != nullptr; ++entry)
  {
    const std::string text = *entry;
    if (environment.count(text.substr(0, text.find('='))) == 0)
    {
      environmentEntries.push_back(text);
    }
  }
  for (const auto & [name, value] : environment)
  {
    if (!value.empty())
    {
      environmentEntries.push_back(name + "=" + value);
    }
  }
  std::vector<char *> argv, envp;
  for (const std::string & argument : arguments)
  {
    argv.push_back(const_cast<char *>(argument.c_str()));
  }
  argv.push_back(nullptr);
  for (const std::string & entry : environmentEntries)
  {
    envp.push_back(const_cast<char *>(entry.c_str()));
  }
  envp.push_back(nullptr);

  int pipeEnds[2];
  if (pipe(pipeEnds) != 0)
  {
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipeEnds[0]);
  pid_t     child = 0;
  const int spawned = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipeEnds[1]);
  ChildResult result;
  char        chunk[4096];
  for (ssize_t count; (count = read(pipeEnds[0], chunk, sizeof(chunk))) > 0;)
  {
    result.output.append(chunk, static_cast<std::size_t>(count));
  }
  close(pipeEnds[0]);
  if (spawned != 0)
  {
    result.output = "posix_spawn failed";
    return result;
  }
  int status = 0;
  waitpid(child, &status, 0);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

/** Runs the test helper program (nibridgePythonTestHelper.cxx) with `arguments`. */
inline ChildResult
RunHelper(const std::vector<std::string> & arguments, const std::map<std::string, std::string> & environment = {})
{
  std::vector<std::string> command{ NIBRIDGE_TEST_HELPER };
  command.insert(command.end(), arguments.begin(), arguments.end());
  return RunChild(command, environment);
}

} // namespace nibridge_test

#endif
