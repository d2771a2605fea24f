/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// ni2npy's batch mode: many inputs to an output folder that mirrors their tree, converted by worker processes the
// driver forks before anything else runs (no thread, no interpreter), with a manifest that makes a rerun resume.
// Documentation/DatasetConversion.md is the contract.

#include "ni2npyBatch.h"

#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeText.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ni2npy
{
namespace
{
using Json = nlohmann::ordered_json; // keys in the order written: input, output, status first
using Clock = std::chrono::steady_clock;
using itk::nibridge::EndsWith;
using itk::nibridge::LowerCase;

// ---- paths -------------------------------------------------------------------------------------------------------

std::string
CurrentDirectory()
{
  std::string directory(4096, '\0');
  while (getcwd(directory.data(), directory.size()) == nullptr)
  {
    if (errno != ERANGE)
    {
      throw UsageError(std::string("cannot tell the current folder: ") + std::strerror(errno));
    }
    directory.resize(directory.size() * 2);
  }
  directory.resize(std::strlen(directory.c_str()));
  return directory;
}

/** An absolute path without ".", ".." or repeated slashes (lexically: symbolic links are kept as they are). */
std::string
Absolute(const std::string & path)
{
  const std::string        joined = path.front() == '/' ? path : CurrentDirectory() + '/' + path;
  std::vector<std::string> parts;
  std::istringstream       stream(joined);
  for (std::string part; std::getline(stream, part, '/');)
  {
    if (part.empty() || part == ".")
    {
      continue;
    }
    if (part == "..")
    {
      if (!parts.empty())
      {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string result;
  for (const std::string & part : parts)
  {
    result += '/' + part;
  }
  return result.empty() ? "/" : result;
}

std::string
Parent(const std::string & path)
{
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string
Name(const std::string & path)
{
  return path.substr(path.rfind('/') + 1);
}

bool
IsUnder(const std::string & path, const std::string & folder)
{
  return folder == "/" ||
         (path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 && path[folder.size()] == '/');
}

constexpr const char * CompressionSuffixes[] = { ".gz", ".bz2", ".zst" };

/** The image extensions a folder is searched for (lower case); data files (.img, .REC, .BRIK) go with their header. */
constexpr const char * ImageSuffixes[] = { ".nii",  ".hdr", ".mgh",  ".mgz",  ".mnc", ".par",
                                           ".head", ".v",   ".nrrd", ".nhdr", ".mha", ".mhd" };

/** The length of a file name's image extension, compression suffix included; 0 if the name has none. */
std::size_t
ImageSuffixLength(const std::string & fileName)
{
  const std::string lower = LowerCase(fileName);
  std::size_t       compressed = 0;
  for (const char * suffix : CompressionSuffixes)
  {
    if (EndsWith(lower, suffix))
    {
      compressed = std::strlen(suffix);
    }
  }
  const std::string bare = lower.substr(0, lower.size() - compressed);
  for (const char * suffix : ImageSuffixes)
  {
    if (EndsWith(bare, suffix) && bare.size() > std::strlen(suffix))
    {
      return std::strlen(suffix) + compressed;
    }
  }
  return 0;
}

/** The output name of an input file: its image extension (else its last extension) replaced by ".npy". */
std::string
OutputName(const std::string & fileName)
{
  std::size_t strip = ImageSuffixLength(fileName);
  if (strip == 0)
  {
    const auto dot = fileName.rfind('.');
    strip = dot == std::string::npos || dot == 0 ? 0 : fileName.size() - dot;
  }
  return fileName.substr(0, fileName.size() - strip) + ".npy";
}

std::string
AffinePath(const std::string & output)
{
  return output.substr(0, output.size() - 4) + ".affine.npy";
}

bool
HasWildcard(const std::string & text)
{
  return text.find_first_of("*?[") != std::string::npos;
}

struct FileIdentity
{
  dev_t device = 0;
  ino_t inode = 0;
};

// ---- inputs ------------------------------------------------------------------------------------------------------

/** One input of the batch and what becomes of it. */
struct Job
{
  std::string input;           // absolute
  std::string anchor;          // the folder the output tree mirrors it from; empty when `output` is given
  std::string output;          // absolute
  std::string error;           // why it cannot be converted, found while planning
  bool        replace = false; // the output exists and is this batch's own (or --force)
  Json        record;
};

class InputCollector
{
public:
  explicit InputCollector(const std::string & outputDirectory)
  {
    struct stat status;
    if (stat(outputDirectory.c_str(), &status) == 0)
    {
      m_Output = { status.st_dev, status.st_ino };
      m_HaveOutput = true;
    }
  }

  /** A command-line input: a file, a folder (searched), or a pattern. */
  void
  Add(const std::string & argument)
  {
    struct stat status;
    if (stat(argument.c_str(), &status) != 0)
    {
      if (!HasWildcard(argument))
      {
        throw UsageError("\"" + argument + "\": no such file or folder");
      }
      const std::size_t before = m_Jobs.size();
      this->AddPattern(argument);
      if (m_Jobs.size() == before)
      {
        throw UsageError("\"" + argument + "\": the pattern matches no image");
      }
      return;
    }
    this->AddExisting(Absolute(argument), S_ISDIR(status.st_mode));
  }

  /** A line of a list file: "INPUT" or "INPUT<TAB>OUTPUT" (OUTPUT inside the output folder). */
  void
  AddListed(const std::string & line, const std::string & outputDirectory)
  {
    const auto tab = line.find('\t');
    if (tab == std::string::npos)
    {
      this->Add(line);
      return;
    }
    const std::string input = line.substr(0, tab);
    const std::string output = line.substr(tab + 1);
    if (input.empty() || output.empty())
    {
      throw UsageError("a list line \"" + line + "\" has an empty input or output");
    }
    Job job;
    job.input = Absolute(input);
    job.output = Absolute(output.front() == '/' ? output : outputDirectory + '/' + output);
    if (!IsUnder(job.output, Absolute(outputDirectory)))
    {
      throw UsageError("\"" + output + "\": a listed output must be inside the output folder");
    }
    this->Take(std::move(job));
  }

  std::vector<Job> &
  Jobs()
  {
    return m_Jobs;
  }


private:
  void
  AddExisting(const std::string & path, bool folder)
  {
    if (!folder)
    {
      Job job;
      job.input = path;
      job.anchor = Parent(path);
      this->Take(std::move(job));
      return;
    }
    this->Search(path, [&](const std::string & file) {
      Job job;
      job.input = file;
      job.anchor = path;
      this->Take(std::move(job));
    });
  }

  void
  Take(Job job)
  {
    if (m_Seen.emplace(job.input, m_Jobs.size()).second)
    {
      m_Jobs.push_back(std::move(job));
    }
  }

  /** Calls `visit` for every image under `folder` (by name), sorted by name; hidden files and folders, links to
   * folders and the output folder are left out. */
  void
  Search(const std::string & folder, const std::function<void(const std::string &)> & visit)
  {
    DIR * entries = opendir(folder.c_str());
    if (entries == nullptr)
    {
      throw UsageError("\"" + folder + "\": cannot read the folder: " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent * entry = readdir(entries))
    {
      if (entry->d_name[0] != '.')
      {
        names.emplace_back(entry->d_name);
      }
    }
    closedir(entries);
    std::sort(names.begin(), names.end());
    for (const std::string & name : names)
    {
      const std::string path = folder == "/" ? '/' + name : folder + '/' + name;
      struct stat       status;
      if (lstat(path.c_str(), &status) != 0)
      {
        continue;
      }
      if (S_ISDIR(status.st_mode))
      {
        if (!(m_HaveOutput && status.st_dev == m_Output.device && status.st_ino == m_Output.inode))
        {
          this->Search(path, visit);
        }
        continue;
      }
      if (S_ISLNK(status.st_mode) && (stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)))
      {
        continue; // links to folders are not followed (no loops); dangling links are no input
      }
      if (ImageSuffixLength(name) != 0)
      {
        visit(path);
      }
    }
  }

  /** A pattern ni2npy expands: glob(3), or for "**" a search of the folder before it, matching whole paths. */
  void
  AddPattern(const std::string & pattern)
  {
    if (pattern.find("**") == std::string::npos)
    {
      glob_t found{};
      if (glob(pattern.c_str(), 0, nullptr, &found) == 0)
      {
        for (std::size_t index = 0; index < found.gl_pathc; ++index)
        {
          struct stat status;
          if (stat(found.gl_pathv[index], &status) == 0)
          {
            this->AddExisting(Absolute(found.gl_pathv[index]), S_ISDIR(status.st_mode));
          }
        }
      }
      globfree(&found);
      return;
    }
    const std::string absolute = Absolute(pattern);
    const auto        wildcard = absolute.find_first_of("*?[");
    const std::string base = Parent(absolute.substr(0, wildcard + 1));
    // "**/" matches any number of folders: as "*" without FNM_PATHNAME, which crosses slashes.
    std::string matcher = absolute;
    for (std::size_t at; (at = matcher.find("**/")) != std::string::npos;)
    {
      matcher.replace(at, 3, "*");
    }
    for (std::size_t at; (at = matcher.find("**")) != std::string::npos;)
    {
      matcher.replace(at, 2, "*");
    }
    // The images of the folder before the first wildcard, as a folder search finds them, whose paths match.
    struct stat status;
    if (stat(base.c_str(), &status) != 0 || !S_ISDIR(status.st_mode))
    {
      return;
    }
    this->Search(base, [&](const std::string & file) {
      if (fnmatch(matcher.c_str(), file.c_str(), 0) == 0)
      {
        Job job;
        job.input = file;
        job.anchor = Parent(file);
        this->Take(std::move(job));
      }
    });
  }

  std::vector<Job>                   m_Jobs;
  std::map<std::string, std::size_t> m_Seen;
  FileIdentity                       m_Output;
  bool                               m_HaveOutput = false;
};

/** The deepest folder that holds every anchor. */
std::string
CommonFolder(const std::vector<Job> & jobs)
{
  std::string common;
  bool        first = true;
  for (const Job & job : jobs)
  {
    if (job.anchor.empty())
    {
      continue;
    }
    if (first)
    {
      common = job.anchor;
      first = false;
      continue;
    }
    while (common != job.anchor && !IsUnder(job.anchor, common))
    {
      common = Parent(common);
    }
  }
  return common;
}

// ---- fingerprints and the manifest -------------------------------------------------------------------------------

/** The files that go with an input: itself and the data file of a header (.img, .REC, .BRIK). */
std::vector<std::string>
FilesOf(const std::string & input)
{
  std::vector<std::string> files{ input };
  const std::string        lower = LowerCase(input);
  const auto               replaced = [&](std::size_t length, std::initializer_list<const char *> suffixes) {
    for (const char * suffix : suffixes)
    {
      files.push_back(input.substr(0, input.size() - length) + suffix);
    }
  };
  if (EndsWith(lower, ".hdr"))
  {
    replaced(4, { ".img", ".IMG" });
  }
  else if (EndsWith(lower, ".hdr.gz"))
  {
    replaced(7, { ".img.gz", ".IMG.gz" });
  }
  else if (EndsWith(lower, ".par"))
  {
    replaced(4, { ".rec", ".REC" });
  }
  else if (EndsWith(lower, ".head"))
  {
    replaced(5, { ".BRIK", ".BRIK.gz", ".brik", ".brik.gz" });
  }
  return files;
}

/** What a rerun compares to tell whether an input changed: the size and modification time of its files. */
Json
Fingerprint(const std::string & input)
{
  std::uint64_t size = 0;
  std::int64_t  modified = 0;
  for (const std::string & file : FilesOf(input))
  {
    struct stat status;
    if (stat(file.c_str(), &status) == 0 && S_ISREG(status.st_mode))
    {
      size += static_cast<std::uint64_t>(status.st_size);
      modified = std::max<std::int64_t>(
        modified, static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec);
    }
  }
  return Json{ { "size", size }, { "mtime_ns", modified } };
}

std::string
OptionsText(const BatchOptions & options)
{
  return "dtype=" + options.perFile.dtype + " affines=" + (options.affines ? "1" : "0") +
         " lossy=" + (options.perFile.allowLossy ? "1" : "0");
}

/** A regular file's size, or -1. */
std::int64_t
FileSize(const std::string & path)
{
  struct stat status;
  return stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode) ? static_cast<std::int64_t>(status.st_size) : -1;
}

Json
NewRecord(const Job & job)
{
  return Json{ { "input", job.input },     { "output", job.output }, { "status", nullptr },
               { "shape", nullptr },       { "dtype", nullptr },     { "affine", nullptr },
               { "error", nullptr },       { "seconds", 0.0 },       { "source", Fingerprint(job.input) },
               { "output_size", nullptr }, { "options", nullptr } };
}

/** The records of earlier runs by output path: the manifest, then the journal of a run that did not end. */
std::map<std::string, Json>
LoadRecords(const std::string & manifest)
{
  std::map<std::string, Json> records;
  for (const std::string & path : { manifest, manifest + ".partial" })
  {
    std::ifstream file(path);
    for (std::string line; std::getline(file, line);)
    {
      const Json record = Json::parse(line, nullptr, false);
      if (record.is_object() && record.contains("output") && record["output"].is_string())
      {
        records[record["output"].get<std::string>()] = record; // a killed run's cut last line is not an object
      }
    }
  }
  return records;
}

/** Whether an earlier record shows the output complete (`outputSize`, -1 if absent; with `affines`, the affine file
 * there too) and made from this very input with these options. */
bool
IsUpToDate(const Json &        old,
           const Json &        source,
           const std::string & optionsText,
           std::int64_t        outputSize,
           bool                affinesThere)
{
  const auto status = old.value("status", std::string());
  return (status == "converted" || status == "skipped") && old.value("source", Json()) == source &&
         old.value("options", Json()) == optionsText && old.value("output_size", Json()).is_number_integer() &&
         old["output_size"].get<std::int64_t>() == outputSize && affinesThere;
}

/** Whether an earlier run of this batch made (or started making) the output: it may be replaced. */
bool
IsOurs(const Json & old)
{
  return old.value("status", std::string()) == "started" || old.value("output_size", Json()).is_number_integer();
}

void
MakeFolders(const std::string & folder)
{
  struct stat status;
  if (stat(folder.c_str(), &status) == 0)
  {
    if (!S_ISDIR(status.st_mode))
    {
      throw std::runtime_error("\"" + folder + "\": not a folder");
    }
    return;
  }
  MakeFolders(Parent(folder));
  if (mkdir(folder.c_str(), 0777) != 0 && errno != EEXIST)
  {
    throw std::runtime_error("\"" + folder + "\": cannot make the folder: " + std::strerror(errno));
  }
}

// ---- workers -----------------------------------------------------------------------------------------------------

bool
ReadFull(int descriptor, void * bytes, std::size_t count)
{
  auto * cursor = static_cast<char *>(bytes);
  while (count > 0)
  {
    const ssize_t got = read(descriptor, cursor, count);
    if (got < 0 && errno == EINTR)
    {
      continue;
    }
    if (got <= 0)
    {
      return false;
    }
    cursor += got;
    count -= static_cast<std::size_t>(got);
  }
  return true;
}

bool
WriteFull(int descriptor, const void * bytes, std::size_t count)
{
  const auto * cursor = static_cast<const char *>(bytes);
  while (count > 0)
  {
    const ssize_t put = write(descriptor, cursor, count);
    if (put < 0 && errno == EINTR)
    {
      continue;
    }
    if (put <= 0)
    {
      return false;
    }
    cursor += put;
    count -= static_cast<std::size_t>(put);
  }
  return true;
}

bool
SendMessage(int descriptor, const std::string & text)
{
  const auto length = static_cast<std::uint32_t>(text.size());
  return WriteFull(descriptor, &length, sizeof(length)) && WriteFull(descriptor, text.data(), text.size());
}

/** Converts one input in a worker; the result is the record's conversion fields. */
Json
ConvertInWorker(const Job & job, const BatchOptions & options)
{
  ConversionOptions perFile = options.perFile;
  perFile.input = job.input;
  perFile.output = job.output;
  perFile.affineOutput = options.affines ? AffinePath(job.output) : std::string();
  perFile.force = job.replace;
  const auto start = Clock::now();
  Json       result;
  try
  {
    MakeFolders(Parent(job.output));
    const ConversionResult converted = Convert(perFile);
    result["status"] = "converted";
    result["shape"] = converted.shape;
    result["dtype"] = converted.dtype;
    if (converted.hasAffine)
    {
      result["affine"] = converted.affine; // rows of four numbers
    }
    result["output_size"] = FileSize(job.output);
  }
  catch (...)
  {
    result["status"] = "failed";
    result["error"] = FailureLine(std::current_exception(), job.input, options.perFile.verbose);
  }
  result["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

struct Worker
{
  pid_t pid = -1;
  int   jobs = -1;    // the driver writes job numbers here
  int   results = -1; // and reads the worker's results here
  // The inputs handed to the worker, in order: it converts the first and has the next one waiting, so that it never
  // waits for the driver between two files.
  std::deque<std::size_t> inFlight;
};

/** How many inputs a worker holds at once. */
constexpr std::size_t InFlightPerWorker = 2;

[[noreturn]] void
WorkerMain(int jobs, int results, const std::vector<Job> & all, const BatchOptions & options)
{
  for (std::uint32_t index = 0; ReadFull(jobs, &index, sizeof(index));)
  {
    if (index >= all.size() || !SendMessage(results, ConvertInWorker(all[index], options).dump()))
    {
      _exit(1);
    }
  }
  _exit(0);
}

/** The driver: plans, forks the workers, hands out inputs one at a time, journals and shows progress. */
class Driver
{
public:
  Driver(const BatchOptions & options, std::vector<Job> & jobs, std::string manifest)
      : m_Options(options)
      , m_Jobs(jobs)
      , m_Manifest(std::move(manifest))
  {}

  int
  Run(const std::vector<std::size_t> & toConvert, std::size_t skipped, std::size_t failedInPlan);

private:
  Worker
  Spawn();
  bool
  HasWork() const;
  void
  Dispatch(Worker & worker);
  void
  Finish(std::size_t index, const Json & result);
  void
  ReapDead(Worker & worker);
  void
  Journal(const Json & record);
  void
  ShowProgress(bool force);
  void
  Say(const std::string & line);

  const BatchOptions &     m_Options;
  std::vector<Job> &       m_Jobs;
  std::string              m_Manifest;
  std::vector<Worker>      m_Workers;
  std::vector<std::size_t> m_Queue;
  std::size_t              m_Next = 0; // the next of m_Queue to hand out
  std::deque<std::size_t>  m_Retry;    // inputs a dead worker held but had not started: handed out first
  std::size_t              m_Done = 0;
  std::size_t              m_Failed = 0;
  int                      m_Journal = -1;
  bool                     m_Bar = false;
  Clock::time_point        m_Start = Clock::now();
  Clock::time_point        m_LastDrawn{};
};

Worker
Driver::Spawn()
{
  int jobPipe[2];
  int resultPipe[2];
  if (pipe2(jobPipe, O_CLOEXEC) != 0 || pipe2(resultPipe, O_CLOEXEC) != 0)
  {
    throw std::runtime_error(std::string("cannot make a pipe for a worker: ") + std::strerror(errno));
  }
  const pid_t driver = getpid();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0)
  {
    throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(errno));
  }
  if (pid == 0)
  {
    // A worker dies with its driver; it keeps only its own two pipe ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != driver)
    {
      _exit(1);
    }
    for (const Worker & other : m_Workers)
    {
      close(other.jobs);
      close(other.results);
    }
    if (m_Journal >= 0)
    {
      close(m_Journal);
    }
    close(jobPipe[1]);
    close(resultPipe[0]);
    WorkerMain(jobPipe[0], resultPipe[1], m_Jobs, m_Options);
  }
  close(jobPipe[0]);
  close(resultPipe[1]);
  Worker worker;
  worker.pid = pid;
  worker.jobs = jobPipe[1];
  worker.results = resultPipe[0];
  return worker;
}

void
Driver::Journal(const Json & record)
{
  const std::string line = record.dump() + '\n';
  if (m_Journal >= 0 && !WriteFull(m_Journal, line.data(), line.size()))
  {
    Say("ni2npy: warning: cannot append to \"" + m_Manifest + ".partial\": " + std::strerror(errno));
    close(m_Journal);
    m_Journal = -1;
  }
}

bool
Driver::HasWork() const
{
  return !m_Retry.empty() || m_Next < m_Queue.size();
}

void
Driver::Dispatch(Worker & worker)
{
  while (worker.pid >= 0 && worker.inFlight.size() < InFlightPerWorker && HasWork())
  {
    std::size_t index = 0;
    if (!m_Retry.empty())
    {
      index = m_Retry.front();
      m_Retry.pop_front();
    }
    else
    {
      index = m_Queue[m_Next++];
    }
    Journal(Json{ { "output", m_Jobs[index].output }, { "status", "started" } });
    const auto number = static_cast<std::uint32_t>(index);
    worker.inFlight.push_back(index);
    if (!WriteFull(worker.jobs, &number, sizeof(number)))
    {
      ReapDead(worker); // the worker died: the input it was converting failed, a new worker takes the others
    }
  }
}

std::string
DescribeStatus(int status)
{
  if (WIFSIGNALED(status))
  {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

void
Driver::ReapDead(Worker & worker)
{
  int status = 0;
  close(worker.jobs);
  close(worker.results);
  while (waitpid(worker.pid, &status, 0) < 0 && errno == EINTR)
  {}
  if (!worker.inFlight.empty())
  {
    // The first input was being converted; the ones waiting behind it go to the next worker free.
    const std::size_t converting = worker.inFlight.front();
    m_Retry.insert(m_Retry.begin(), std::next(worker.inFlight.begin()), worker.inFlight.end());
    Json result{ { "status", "failed" },
                 { "error",
                   itk::nibridge::NamingTheFile(m_Jobs[converting].input,
                                                "the worker process converting it died: " + DescribeStatus(status)) },
                 { "seconds", 0.0 } };
    Finish(converting, result);
  }
  worker = Worker{};
  if (HasWork())
  {
    worker = Spawn();
  }
}

void
Driver::Say(const std::string & line)
{
  if (m_Bar)
  {
    std::cerr << "\r\033[K";
  }
  std::cerr << line << '\n';
  if (m_Bar)
  {
    ShowProgress(true);
  }
}

std::string
Duration(double seconds)
{
  const auto whole = static_cast<long long>(std::llround(seconds));
  char       text[32];
  std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", whole / 3600, whole / 60 % 60, whole % 60);
  return whole < 3600 ? std::string(text + 2) : std::string(text);
}

void
Driver::ShowProgress(bool force)
{
  if (!m_Bar)
  {
    return;
  }
  const auto now = Clock::now();
  if (!force && now - m_LastDrawn < std::chrono::milliseconds(100))
  {
    return;
  }
  m_LastDrawn = now;
  const double      elapsed = std::chrono::duration<double>(now - m_Start).count();
  const double      rate = elapsed > 0 ? static_cast<double>(m_Done) / elapsed : 0.0;
  const std::size_t total = m_Queue.size();
  constexpr int     Width = 24;
  const int         filled = total ? static_cast<int>(Width * m_Done / total) : Width;
  std::string       line = "\r\033[Kni2npy [" + std::string(filled, '#') + std::string(Width - filled, '.') + "] " +
                     std::to_string(m_Done) + "/" + std::to_string(total) + " files";
  if (m_Failed)
  {
    line += ", " + std::to_string(m_Failed) + " failed";
  }
  char figures[96];
  std::snprintf(figures, sizeof(figures), "  %.1f files/s", rate);
  line += figures;
  if (m_Done > 0 && m_Done < total)
  {
    line += "  " + Duration(static_cast<double>(total - m_Done) / rate) + " left";
  }
  std::cerr << line << std::flush;
}

void
Driver::Finish(std::size_t index, const Json & result)
{
  Job & job = m_Jobs[index];
  for (const auto & [key, value] : result.items())
  {
    job.record[key] = value;
  }
  job.record["options"] = OptionsText(m_Options);
  ++m_Done;
  const bool failed = job.record["status"] == "failed";
  m_Failed += failed ? 1 : 0;
  Journal(job.record);
  const std::string counter = "[" + std::to_string(m_Done) + "/" + std::to_string(m_Queue.size()) + "] ";
  if (failed)
  {
    Say("ni2npy: " + (m_Options.quiet ? std::string() : counter) + "error: " + job.record["error"].get<std::string>());
  }
  else if (!m_Options.quiet && !m_Bar)
  {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), " (%.3f s)", job.record["seconds"].get<double>());
    Say("ni2npy: " + counter + "converted " + job.input + " -> " + job.output + seconds);
  }
  ShowProgress(false);
}

int
Driver::Run(const std::vector<std::size_t> & toConvert, std::size_t skipped, std::size_t failedInPlan)
{
  m_Queue = toConvert;
  m_Bar = !m_Options.quiet && isatty(STDERR_FILENO);
  const std::string partial = m_Manifest + ".partial";
  m_Journal = open(partial.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (m_Journal < 0)
  {
    throw UsageError("\"" + partial + "\": cannot write the manifest's journal: " + std::strerror(errno));
  }
  unsigned int jobs = m_Options.jobs;
  if (jobs == 0)
  {
    cpu_set_t cpus;
    jobs = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? static_cast<unsigned int>(CPU_COUNT(&cpus)) : 1u;
  }
  jobs = static_cast<unsigned int>(std::min<std::size_t>(std::max(jobs, 1u), std::max<std::size_t>(1, m_Queue.size())));
  if (!m_Options.quiet)
  {
    std::cerr << "ni2npy: " << m_Jobs.size() << " inputs: " << skipped << " up to date (skipped), " << failedInPlan
              << " cannot be converted, " << m_Queue.size() << " to convert with " << jobs << " worker"
              << (jobs == 1 ? "" : "s") << '\n';
  }
  for (std::size_t index = 0; index < m_Jobs.size(); ++index)
  {
    if (m_Jobs[index].record["status"] == "failed")
    {
      Say("ni2npy: error: " + m_Jobs[index].record["error"].get<std::string>());
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (!m_Queue.empty())
  {
    for (unsigned int count = 0; count < jobs; ++count)
    {
      m_Workers.push_back(Spawn());
    }
    for (Worker & worker : m_Workers)
    {
      Dispatch(worker);
    }
  }
  while (m_Done < m_Queue.size())
  {
    std::vector<pollfd>      waiting;
    std::vector<std::size_t> owner;
    for (std::size_t number = 0; number < m_Workers.size(); ++number)
    {
      if (!m_Workers[number].inFlight.empty())
      {
        waiting.push_back(pollfd{ m_Workers[number].results, POLLIN, 0 });
        owner.push_back(number);
      }
    }
    if (waiting.empty())
    {
      break; // cannot happen: every input handed out has a busy worker until its result comes
    }
    if (poll(waiting.data(), waiting.size(), 250) < 0 && errno != EINTR)
    {
      throw std::runtime_error(std::string("cannot wait for the workers: ") + std::strerror(errno));
    }
    for (std::size_t entry = 0; entry < waiting.size(); ++entry)
    {
      if (waiting[entry].revents == 0)
      {
        continue;
      }
      Worker &      worker = m_Workers[owner[entry]];
      std::uint32_t length = 0;
      std::string   text;
      if (ReadFull(worker.results, &length, sizeof(length)) &&
          (text.resize(length), ReadFull(worker.results, text.data(), length)))
      {
        const Json        result = Json::parse(text, nullptr, false);
        const std::size_t index = worker.inFlight.front();
        worker.inFlight.pop_front();
        Finish(index,
               result.is_object() ? result
                                  : Json{ { "status", "failed" }, { "error", "a worker's result is no JSON" } });
        Dispatch(worker);
      }
      else
      {
        ReapDead(worker);
        Dispatch(worker);
      }
    }
    ShowProgress(false);
  }
  for (Worker & worker : m_Workers)
  {
    if (worker.pid >= 0)
    {
      close(worker.jobs); // end of input: the worker exits
      close(worker.results);
      int status = 0;
      while (waitpid(worker.pid, &status, 0) < 0 && errno == EINTR)
      {}
    }
  }
  if (m_Bar)
  {
    std::cerr << "\r\033[K";
  }

  // The whole run's records replace the manifest at once; the journal is not needed any more.
  itk::nibridge::AtomicFileWriter file(m_Manifest);
  for (const Job & job : m_Jobs)
  {
    const std::string line = job.record.dump() + '\n';
    file.Write(line.data(), line.size());
  }
  file.Commit(true);
  close(m_Journal);
  unlink(partial.c_str());

  std::size_t converted = 0;
  std::size_t failed = 0;
  std::size_t skippedNow = 0;
  for (const Job & job : m_Jobs)
  {
    const auto status = job.record["status"].get<std::string>();
    converted += status == "converted" ? 1 : 0;
    failed += status == "failed" ? 1 : 0;
    skippedNow += status == "skipped" ? 1 : 0;
  }
  if (!m_Options.quiet)
  {
    const double seconds = std::chrono::duration<double>(Clock::now() - m_Start).count();
    char         figures[96];
    std::snprintf(figures,
                  sizeof(figures),
                  " in %.1f s (%.1f files/s)",
                  seconds,
                  seconds > 0 ? static_cast<double>(m_Queue.size()) / seconds : 0.0);
    std::cerr << "ni2npy: " << converted << " converted, " << skippedNow << " skipped (up to date), " << failed
              << " failed of " << m_Jobs.size() << " files" << figures << "; manifest " << m_Manifest << '\n';
  }
  return failed ? 1 : 0;
}

} // namespace

int
RunBatch(const BatchOptions & options)
{
  if (options.exitWithParent)
  {
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
    {
      return 1;
    }
  }
  const std::string outputDirectory = Absolute(options.outputDirectory);
  struct stat       status;
  if (stat(outputDirectory.c_str(), &status) == 0 && !S_ISDIR(status.st_mode))
  {
    throw UsageError("\"" + options.outputDirectory + "\": the output folder is not a folder");
  }

  InputCollector collector(outputDirectory);
  for (const std::string & input : options.inputs)
  {
    collector.Add(input);
  }
  if (!options.listFile.empty())
  {
    std::ifstream file;
    if (options.listFile != "-")
    {
      file.open(options.listFile);
      if (!file)
      {
        throw UsageError("\"" + options.listFile + "\": cannot read the list file");
      }
    }
    std::istream & lines = options.listFile == "-" ? std::cin : file;
    for (std::string line; std::getline(lines, line);)
    {
      if (!line.empty() && line.back() == '\r')
      {
        line.pop_back();
      }
      if (!line.empty() && line.front() != '#')
      {
        collector.AddListed(line, outputDirectory);
      }
    }
  }
  std::vector<Job> & jobs = collector.Jobs();
  if (jobs.empty())
  {
    throw UsageError("no input image (give files, folders, patterns or --list)");
  }
  const std::string                  root = options.root.empty() ? CommonFolder(jobs) : Absolute(options.root);
  std::map<std::string, std::size_t> outputs;
  for (std::size_t index = 0; index < jobs.size(); ++index)
  {
    Job & job = jobs[index];
    if (job.output.empty())
    {
      if (!IsUnder(job.input, root))
      {
        throw UsageError("\"" + job.input + "\": not under the --root folder \"" + root + "\"");
      }
      const std::string relative = job.input.substr(root == "/" ? 1 : root.size() + 1);
      const auto        slash = relative.rfind('/');
      job.output = Absolute(outputDirectory + '/' + (slash == std::string::npos ? "" : relative.substr(0, slash + 1)) +
                            OutputName(Name(relative)));
    }
    const auto [clash, fresh] = outputs.emplace(job.output, index);
    if (!fresh)
    {
      job.error = itk::nibridge::NamingTheFile(
        job.input, "its output \"" + job.output + "\" is also the output of \"" + jobs[clash->second].input + "\"");
      if (jobs[clash->second].error.empty())
      {
        jobs[clash->second].error = itk::nibridge::NamingTheFile(
          jobs[clash->second].input, "its output \"" + job.output + "\" is also the output of \"" + job.input + "\"");
      }
    }
    else if (job.output == job.input || (options.affines && AffinePath(job.output) == job.input))
    {
      job.error = itk::nibridge::NamingTheFile(job.input, "its output would overwrite it");
    }
  }

  const std::string manifest =
    options.manifest.empty() ? outputDirectory + "/ni2npy-manifest.jsonl" : Absolute(options.manifest);
  if (!options.dryRun)
  {
    try
    {
      MakeFolders(outputDirectory);
      MakeFolders(Parent(manifest));
    }
    catch (const std::exception & error)
    {
      throw UsageError(error.what());
    }
  }
  const std::map<std::string, Json> previous = LoadRecords(manifest);
  const std::string                 optionsText = OptionsText(options);
  std::vector<std::size_t>          toConvert;
  std::size_t                       skipped = 0;
  std::size_t                       failedInPlan = 0;
  for (std::size_t index = 0; index < jobs.size(); ++index)
  {
    Job & job = jobs[index];
    job.record = NewRecord(job);
    if (!job.error.empty())
    {
      job.record["status"] = "failed";
      job.record["error"] = job.error;
      ++failedInPlan;
      continue;
    }
    const auto         old = previous.find(job.output);
    const std::int64_t outputSize = FileSize(job.output);
    const bool         affineThere = options.affines && FileSize(AffinePath(job.output)) >= 0;
    const bool         exists = outputSize >= 0 || affineThere;
    if (!options.perFile.force && old != previous.end() &&
        IsUpToDate(old->second, job.record["source"], optionsText, outputSize, !options.affines || affineThere))
    {
      for (const char * key : { "shape", "dtype", "affine", "output_size", "options" })
      {
        job.record[key] = old->second.value(key, Json());
      }
      job.record["status"] = "skipped";
      ++skipped;
      continue;
    }
    const bool ours = old != previous.end() && IsOurs(old->second);
    if (exists && !options.perFile.force && !ours)
    {
      if (options.skipExisting)
      {
        job.record["status"] = "skipped";
        ++skipped;
        continue;
      }
      job.record["status"] = "failed";
      job.record["error"] = itk::nibridge::NamingTheFile(
        job.input,
        "its output \"" + job.output +
          "\" exists and no record of the manifest made it; not overwritten (use --force or --skip-existing)");
      ++failedInPlan;
      continue;
    }
    job.replace = exists;
    toConvert.push_back(index);
  }

  if (options.dryRun)
  {
    for (const Job & job : jobs)
    {
      const Json & status = job.record["status"];
      Json         planned{ { "input", job.input }, { "output", job.output } };
      planned["status"] = status.is_null() ? Json("convert") : status;
      planned["error"] = job.record["error"];
      std::cout << planned.dump() << '\n';
    }
    return 0;
  }
  Driver driver(options, jobs, manifest);
  return driver.Run(toConvert, skipped, failedInPlan);
}

} // namespace ni2npy
