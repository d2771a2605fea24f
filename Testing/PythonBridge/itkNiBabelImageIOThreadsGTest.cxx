/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// NiBabelImageIO under ITK's threads: parallel readers and multithreaded filters downstream, streamed reads.

#include "itkNiBabelImageIO.h"
#include "itkNiBridgePythonTestSupport.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkMeanImageFilter.h"
#include "itkStreamingImageFilter.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace
{
using nibridge_test::Generated;
using nibridge_test::ReadWhole;
using nibridge_test::WholeRead;

using ImageType = itk::Image<float, 4>;
constexpr unsigned int NumberOfStressFiles = 8;

std::string
StressFile(unsigned int index)
{
  return Generated("stress_" + std::to_string(index)).at("file");
}

/** A pipeline as an application builds it: a reader (streamed in `divisions` pieces when above 1) and a
 * multithreaded mean filter; returns the filter's output values. */
std::vector<float>
ReadAndSmooth(const std::string & fileName, unsigned int divisions)
{
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(itk::NiBabelImageIO::New());
  reader->SetFileName(fileName);
  reader->SetUseStreaming(divisions > 1);
  auto                mean = itk::MeanImageFilter<ImageType, ImageType>::New();
  ImageType::SizeType radius{ { 1, 1, 1, 0 } };
  mean->SetRadius(radius);
  mean->SetInput(reader->GetOutput());
  auto streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
  streamer->SetInput(mean->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  const ImageType * output = streamer->GetOutput();
  return { output->GetBufferPointer(), output->GetBufferPointer() + output->GetBufferedRegion().GetNumberOfPixels() };
}
} // namespace

TEST(NiBabelImageIOThreads, ParallelReadersOfDifferentFilesGiveTheSingleThreadedResultEveryTime)
{
  // The reference: each file read alone, in this thread.
  std::vector<WholeRead>          referenceReads;
  std::vector<std::vector<float>> referenceSmoothed;
  for (unsigned int index = 0; index < NumberOfStressFiles; ++index)
  {
    auto imageIO = itk::NiBabelImageIO::New();
    referenceReads.push_back(ReadWhole(imageIO, StressFile(index)));
    referenceSmoothed.push_back(ReadAndSmooth(StressFile(index), 1));
  }

  constexpr unsigned int   numberOfThreads = 4;
  constexpr unsigned int   readsPerThread = 25;
  std::atomic<unsigned>    mismatches{ 0 };
  std::vector<std::string> errors(numberOfThreads);
  std::vector<std::thread> threads;
  for (unsigned int thread = 0; thread < numberOfThreads; ++thread)
  {
    threads.emplace_back([&, thread]() {
      try
      {
        for (unsigned int read = 0; read < readsPerThread; ++read)
        {
          const unsigned int index = (thread * 3 + read) % NumberOfStressFiles;
          if (read % 2 == 0)
          {
            // The ImageIO alone: Python from several threads at once.
            auto            imageIO = itk::NiBabelImageIO::New();
            const WholeRead again = ReadWhole(imageIO, StressFile(index));
            mismatches += again.bytes != referenceReads[index].bytes || again.size != referenceReads[index].size ||
                          again.direction != referenceReads[index].direction;
          }
          else
          {
            // A whole pipeline, streamed in 1 to 3 pieces, with ITK's thread pool downstream.
            mismatches += ReadAndSmooth(StressFile(index), 1 + read % 3) != referenceSmoothed[index];
          }
        }
      }
      catch (const std::exception & error)
      {
        errors[thread] = error.what();
      }
    });
  }
  for (std::thread & thread : threads)
  {
    thread.join();
  }
  for (const std::string & error : errors)
  {
    EXPECT_TRUE(error.empty()) << error;
  }
  EXPECT_EQ(mismatches.load(), 0u);
}

TEST(NiBabelImageIOThreads, AStreamedPipelineReadsPiecesThatAddUpToTheWholeImage)
{
  const std::string fileName = Generated("large").at("file");
  using VolumeType = itk::Image<float, 3>;
  auto wholeReader = itk::ImageFileReader<VolumeType>::New();
  wholeReader->SetImageIO(itk::NiBabelImageIO::New());
  wholeReader->SetFileName(fileName);
  wholeReader->Update();

  auto imageIO = itk::NiBabelImageIO::New();
  auto reader = itk::ImageFileReader<VolumeType>::New();
  reader->SetImageIO(imageIO);
  reader->SetFileName(fileName);
  reader->UseStreamingOn();
  auto streamer = itk::StreamingImageFilter<VolumeType, VolumeType>::New();
  streamer->SetInput(reader->GetOutput());
  streamer->SetNumberOfStreamDivisions(8);
  streamer->Update();

  EXPECT_TRUE(imageIO->CanStreamRead());
  const auto wholePixels = wholeReader->GetOutput()->GetBufferedRegion().GetNumberOfPixels();
  EXPECT_EQ(imageIO->GetIORegion().GetNumberOfPixels(), wholePixels / 8) << "the last read was one piece";
  ASSERT_EQ(streamer->GetOutput()->GetBufferedRegion().GetNumberOfPixels(), wholePixels);
  EXPECT_TRUE(std::memcmp(streamer->GetOutput()->GetBufferPointer(),
                          wholeReader->GetOutput()->GetBufferPointer(),
                          wholePixels * sizeof(float)) == 0);
  double sum = 0.0;
  for (std::size_t pixel = 0; pixel < wholePixels; ++pixel)
  {
    sum += wholeReader->GetOutput()->GetBufferPointer()[pixel];
  }
  EXPECT_EQ(sum, std::stod(Generated("large").at("sum").get<std::string>())) << "nibabel's sum of the values";
}

TEST(NiBabelImageIOThreads, AStreamedPipelinePeaksFarBelowTheFileSize)
{
  const std::string                fileName = Generated("large").at("file");
  const auto                       fileKiB = static_cast<long>(std::filesystem::file_size(fileName) / 1024);
  const nibridge_test::ChildResult child = nibridge_test::RunHelper({ "stream-peak", fileName, "16" });
  ASSERT_EQ(child.exitCode, 0) << child.output;
  std::istringstream            words(child.output);
  std::map<std::string, double> reported;
  for (std::string key; words >> key;)
  {
    words >> reported[key];
  }
  EXPECT_LT(reported["peak-kib"] - reported["baseline-kib"], fileKiB / 4)
    << child.output << " for a file of " << fileKiB << " KiB";
  EXPECT_EQ(reported["sum"], std::stod(Generated("large").at("sum").get<std::string>())) << child.output;
}
