/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeIsolatedImageIO.h"

#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeReaderProcess.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char ** environ;

namespace itk
{
namespace
{
namespace readerprocess = nibridge::readerprocess;
using Clock = std::chrono::steady_clock;

constexpr const char * HelperName = "nibridge-itk-reader";
constexpr std::size_t  NoiseKept = 64 * 1024;

using nibridge::Quoted;

void
CloseDescriptor(int & descriptor)
{
  if (descriptor >= 0)
  {
    close(descriptor);
    descriptor = -1;
  }
}

/** The first line of the libraries' output that says something (for an error's one line), at most 200 characters. */
std::string
FirstNoiseLine(const std::string & noise)
{
  std::istringstream lines(noise);
  std::string        line;
  while (std::getline(lines, line))
  {
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos)
    {
      line = line.substr(first);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      {
        line.pop_back();
      }
      return line.size() > 200 ? line.substr(0, 200) + "..." : line;
    }
  }
  return {};
}

/** A line of ITK's or its libraries' output that says a read went wrong although the reader returned: MetaIO and
 * others report truncated or undecodable data on standard error and go on with the buffer as it is. */
std::string
ErrorNoiseLine(const std::string & noise)
{
  std::istringstream lines(noise);
  std::string        line;
  while (std::getline(lines, line))
  {
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.find("warning") == std::string::npos &&
        (lower.find("error") != std::string::npos || lower.find("fail") != std::string::npos ||
         lower.find("not read completely") != std::string::npos || lower.find("cannot") != std::string::npos ||
         lower.find("unable") != std::string::npos || lower.find("corrupt") != std::string::npos))
    {
      return FirstNoiseLine(line);
    }
  }
  return {};
}
} // namespace

/** One run of the helper: its process, the socket to it and the pipe of its output. */
struct NiBridgeIsolatedImageIO::Session
{
  std::string       fileName;
  std::string       imageIOName; // once known, for messages
  pid_t             process = -1;
  int               socket = -1;
  int               noisePipe = -1;
  std::string       noise;
  double            timeout = 600.0;
  Clock::time_point deadline;

  ~Session() { this->Stop(); }

  void
  Start(const std::string & program)
  {
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    {
      this->Throw(std::string("cannot start the reader process: socketpair: ") + std::strerror(errno));
    }
    int pipeEnds[2];
    if (pipe2(pipeEnds, O_CLOEXEC) != 0)
    {
      close(sockets[0]);
      close(sockets[1]);
      this->Throw(std::string("cannot start the reader process: pipe: ") + std::strerror(errno));
    }
    socket = sockets[0];
    noisePipe = pipeEnds[0];
    fcntl(noisePipe, F_SETFL, fcntl(noisePipe, F_GETFL) | O_NONBLOCK); // drained as it comes, never waited on
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2);
    posix_spawn_file_actions_adddup2(&actions, sockets[1], readerprocess::SocketDescriptor);
    posix_spawn_file_actions_addclosefrom_np(&actions, readerprocess::SocketDescriptor + 1);
    const std::string        limit = std::to_string(nibridge::GetReadMemoryLimit());
    std::vector<std::string> arguments = { program, fileName, limit };
    std::vector<char *>      argv;
    for (std::string & argument : arguments)
    {
      argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&process, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(sockets[1]);
    close(pipeEnds[1]);
    if (spawned != 0)
    {
      process = -1;
      this->Throw("cannot start the reader process " + Quoted(program) + ": " + std::strerror(spawned));
    }
  }

  void
  Stop()
  {
    CloseDescriptor(socket);
    CloseDescriptor(noisePipe);
    if (process > 0)
    {
      kill(process, SIGKILL);
      int status = 0;
      while (waitpid(process, &status, 0) < 0 && errno == EINTR)
      {}
      process = -1;
    }
  }

  void
  StartStep()
  {
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
  }

  /** Reads the helper's output that is there now (without waiting). */
  void
  DrainNoise()
  {
    char buffer[4096];
    while (noisePipe >= 0)
    {
      const ssize_t got = read(noisePipe, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR)
      {
        continue;
      }
      if (got <= 0)
      {
        if (got == 0 || errno != EAGAIN)
        {
          CloseDescriptor(noisePipe);
        }
        return;
      }
      if (noise.size() < NoiseKept)
      {
        noise.append(buffer, static_cast<std::size_t>(got));
      }
    }
  }

  /** Receives exactly `count` bytes from the helper into `destination`, collecting its output meanwhile; throws if it
   * dies, closes the socket or does not finish before the step's deadline. `step` says what it was doing. */
  void
  Receive(void * destination, std::uint64_t count, const char * step)
  {
    auto * next = static_cast<char *>(destination);
    while (count > 0)
    {
      pollfd     descriptors[2] = { { socket, POLLIN, 0 }, { noisePipe, POLLIN, 0 } };
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0)
      {
        this->Stop();
        std::ostringstream text;
        text << this->ReaderText() << " did not finish " << step << " within " << timeout
             << " s and was stopped (the file may be damaged; NIBRIDGE_READ_TIMEOUT sets the limit)";
        this->Throw(text.str());
      }
      const int ready = poll(descriptors, noisePipe >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (ready < 0 && errno != EINTR)
      {
        this->Throw(std::string("waiting for the reader process failed: ") + std::strerror(errno));
      }
      if (ready <= 0)
      {
        continue;
      }
      if (noisePipe >= 0 && (descriptors[1].revents & (POLLIN | POLLHUP)) != 0)
      {
        this->DrainNoise();
      }
      if ((descriptors[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      {
        const ssize_t got =
          recv(socket, next, static_cast<std::size_t>(std::min<std::uint64_t>(count, 1 << 20)), MSG_DONTWAIT);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
        {
          continue;
        }
        if (got <= 0)
        {
          this->Died(step);
        }
        next += got;
        count -= static_cast<std::uint64_t>(got);
      }
    }
  }

  /** Receives one frame's tag and length. */
  char
  ReceiveFrameStart(std::uint64_t & length, const char * step)
  {
    char start[1 + sizeof(std::uint64_t)];
    this->Receive(start, sizeof(start), step);
    std::memcpy(&length, start + 1, sizeof(length));
    return start[0];
  }

  std::string
  ReceiveText(std::uint64_t length, const char * step)
  {
    if (length > (64u << 20))
    {
      this->Throw("the reader process sent a malformed answer");
    }
    std::string text(static_cast<std::size_t>(length), '\0');
    this->Receive(text.data(), length, step);
    return text;
  }

  /** The helper's exit status, once it has ended (waiting up to a second for it). */
  int
  WaitForExit()
  {
    int status = 0;
    for (int attempt = 0; attempt < 100; ++attempt)
    {
      const pid_t done = waitpid(process, &status, WNOHANG);
      if (done == process)
      {
        process = -1;
        return status;
      }
      if (done < 0 && errno != EINTR)
      {
        process = -1;
        return 0;
      }
      this->DrainNoise();
      usleep(10000);
    }
    this->Stop();
    return SIGKILL; // as if killed
  }

  /** The socket closed before the answer: the helper crashed, aborted or exited. */
  [[noreturn]] void
  Died(const char * step)
  {
    CloseDescriptor(socket);
    const int status = this->WaitForExit();
    this->DrainNoise();
    std::ostringstream text;
    if (WIFSIGNALED(status))
    {
      const int signal = WTERMSIG(status);
      text << this->ReaderText() << " crashed (" << strsignal(signal) << ", signal " << signal << ") " << step
           << "; the file is probably damaged";
    }
    else
    {
      text << this->ReaderText() << " ended " << step << " with exit status "
           << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << " and no answer";
    }
    const std::string said = FirstNoiseLine(noise);
    if (!said.empty())
    {
      text << " (it said: " << said << ")";
    }
    this->Throw(text.str());
  }

  std::string
  ReaderText() const
  {
    return imageIOName.empty() ? std::string("ITK's reader process") : "ITK's " + imageIOName;
  }

  [[noreturn]] void
  Throw(const std::string & reason)
  {
    this->Stop();
    itkGenericExceptionMacro(<< nibridge::NamingTheFile(fileName, reason));
  }
};

NiBridgeIsolatedImageIO::NiBridgeIsolatedImageIO() = default;

NiBridgeIsolatedImageIO::~NiBridgeIsolatedImageIO() = default;

void
NiBridgeIsolatedImageIO::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ITKImageIOName: " << (m_ITKImageIOName.empty() ? "(none yet)" : m_ITKImageIOName) << std::endl;
  os << indent << "HelperRunning: " << (m_Session ? "yes" : "no") << std::endl;
}

std::string
NiBridgeIsolatedImageIO::FindHelperProgram()
{
  if (const char * chosen = std::getenv("NIBRIDGE_ITK_READER"); chosen != nullptr && chosen[0] != '\0')
  {
    return chosen;
  }
  Dl_info library{};
  if (dladdr(reinterpret_cast<void *>(&NiBridgeIsolatedImageIO::FindHelperProgram), &library) == 0 ||
      library.dli_fname == nullptr)
  {
    return {};
  }
  std::error_code             ignored;
  const std::filesystem::path directory =
    std::filesystem::canonical(std::filesystem::path(library.dli_fname), ignored).parent_path();
  // The build tree's lib/ and bin/, its Python package (python/nibridge) and bin/; an installed package's nibridge/
  // and nibridge/bin/; an installation's lib/ and libexec/nibridge/.
  for (const char * place : { "bin", "../bin", "../../bin", "../libexec/nibridge", "." })
  {
    const std::filesystem::path candidate = directory / place / HelperName;
    if (access(candidate.c_str(), X_OK) == 0)
    {
      return candidate.lexically_normal().string();
    }
  }
  return {};
}

bool
NiBridgeIsolatedImageIO::IsolationIsOn()
{
  const char * choice = std::getenv("NIBRIDGE_ITK_READERS");
  return choice == nullptr || std::string(choice) != "in-process";
}

void
NiBridgeIsolatedImageIO::StartSession()
{
  if (m_Session && m_SessionFileName == m_FileName)
  {
    return;
  }
  m_Session.reset();
  m_SessionFileName = m_FileName;
  m_ITKImageIOName.clear();
  m_Information.clear();
  m_Failure.clear();
  m_HasReader = false;
  if (const auto reason = nibridge::WhyNotReadable(m_FileName))
  {
    m_Failure = Quoted(m_FileName) + ": " + *reason;
    return;
  }
  const std::string program = FindHelperProgram();
  if (program.empty())
  {
    m_Failure = Quoted(m_FileName) + ": NiBridge's helper program " + HelperName +
                ", which reads ITK's formats in a process of its own, is not installed beside NiBridge's libraries "
                "(reinstall NiBridge, set NIBRIDGE_ITK_READER to it, or NIBRIDGE_ITK_READERS=in-process)";
    return;
  }
  auto session = std::make_unique<Session>();
  session->fileName = m_FileName;
  try
  {
    session->timeout = nibridge::GetReadTimeout();
    session->Start(program);
    session->StartStep();
    std::uint64_t     length = 0;
    const char        tag = session->ReceiveFrameStart(length, "while identifying the file and reading its header");
    const std::string text = session->ReceiveText(length, "while reading the header");
    if (tag == readerprocess::NoReaderTag)
    {
      return; // no ITK ImageIO takes it: not claimed
    }
    if (tag == readerprocess::ErrorTag)
    {
      m_HasReader = true;
      m_Failure = nibridge::NamingTheFile(m_FileName, text);
      return;
    }
    if (tag != readerprocess::InformationTag)
    {
      session->Throw("the reader process sent a malformed answer");
    }
    m_HasReader = true;
    m_Information = text;
    ImageIOBase::Pointer probe = ImageIOBase::Pointer(NiBridgeIsolatedImageIO::New());
    m_ITKImageIOName = readerprocess::DecodeInformation(text, *probe);
    session->imageIOName = m_ITKImageIOName;
    m_Session = std::move(session);
  }
  catch (const ExceptionObject & error)
  {
    m_HasReader = true;
    m_Failure = nibridge::OneLineReason(error.GetDescription());
  }
}

bool
NiBridgeIsolatedImageIO::CanReadFile(const char * fileName)
{
  if (fileName == nullptr || fileName[0] == '\0')
  {
    return false;
  }
  try
  {
    m_FileName = fileName;
    std::error_code ignored;
    if (!std::filesystem::exists(std::filesystem::symlink_status(m_FileName, ignored)))
    {
      return false;
    }
    this->StartSession();
    return m_HasReader || !m_Failure.empty();
  }
  catch (...)
  {
    return false;
  }
}

void
NiBridgeIsolatedImageIO::ReadImageInformation()
{
  this->StartSession();
  if (!m_Failure.empty())
  {
    itkExceptionMacro(<< m_Failure);
  }
  if (!m_HasReader)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": none of ITK's ImageIOs reads this file");
  }
  m_ITKImageIOName = readerprocess::DecodeInformation(m_Information, *this);
}

void
NiBridgeIsolatedImageIO::Read(void * buffer)
{
  if (!m_Session || m_SessionFileName != m_FileName)
  {
    m_Session.reset();
    m_SessionFileName.clear();
    this->ReadImageInformation();
  }
  ImageIORegion whole(this->GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < this->GetNumberOfDimensions(); ++axis)
  {
    whole.SetIndex(axis, 0);
    whole.SetSize(axis, this->GetDimensions(axis));
  }
  if (m_IORegion != whole)
  {
    std::ostringstream region;
    region << m_IORegion;
    itkExceptionMacro(<< Quoted(m_FileName) << ": reads the whole image only, not the region " << region.str());
  }
  std::unique_ptr<Session> session = std::move(m_Session);
  m_SessionFileName.clear(); // a second Read starts the helper again
  const std::uint64_t bytes = this->GetImageSizeInBytes();
  session->StartStep();
  const char command = readerprocess::ReadCommand;
  if (!readerprocess::SendAll(session->socket, &command, 1))
  {
    session->Died("before reading the voxels");
  }
  std::uint64_t length = 0;
  const char    tag = session->ReceiveFrameStart(length, "while reading the voxels");
  if (tag == readerprocess::ErrorTag)
  {
    const std::string reason = session->ReceiveText(length, "while reporting an error");
    session->Stop();
    itkExceptionMacro(<< nibridge::NamingTheFile(m_FileName, reason));
  }
  if (tag != readerprocess::DataTag || length != bytes)
  {
    session->Throw("the reader process sent " + std::to_string(length) + " bytes of voxels, not the " +
                   std::to_string(bytes) + " the image holds");
  }
  session->Receive(buffer, bytes, "while handing over the voxels");
  CloseDescriptor(session->socket);
  session->WaitForExit();
  session->DrainNoise();
  const std::string problem = ErrorNoiseLine(session->noise);
  if (!problem.empty())
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": ITK's " << m_ITKImageIOName
                      << " reported a problem with the data and its values cannot be trusted: " << problem);
  }
}

void
NiBridgeIsolatedImageIO::WriteImageInformation()
{
  itkExceptionMacro(<< "NiBridgeIsolatedImageIO reads only; ITK's own ImageIOs write");
}

void
NiBridgeIsolatedImageIO::Write(const void *)
{
  itkExceptionMacro(<< "NiBridgeIsolatedImageIO reads only; ITK's own ImageIOs write");
}

} // namespace itk
