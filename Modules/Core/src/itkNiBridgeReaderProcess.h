/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeReaderProcess_h
#define itkNiBridgeReaderProcess_h

// PRIVATE to NiBridgeCore: what NiBridgeIsolatedImageIO and its helper program (nibridge-itk-reader) say to each
// other.
//
// The parent starts the helper with the file's name and the memory limit; the helper's descriptor 3 is one end of a
// socket pair, its standard output and error go to a pipe the parent collects (the libraries' noise, summed up in one
// line if the read fails). On the socket the helper sends frames: a tag byte, a 64-bit length (this machine's byte
// order: both ends are the same build) and that many bytes.
//   'N'  no ITK ImageIO reads the file (empty)          -> the helper exits
//   'E'  the read failed: one line, the reason          -> the helper exits
//   'I'  the image information, JSON (EncodeInformation) -> the helper waits for a command byte
// The parent answers 'R' (read the voxels) or closes the socket (done). After 'R' the helper sends 'D' with the
// voxels of the whole image, in this machine's byte order, or 'E'; then it exits.

#include "itkImageIOBase.h"

#include <cstdint>
#include <string>

namespace itk
{
namespace nibridge
{
namespace readerprocess
{
constexpr int  SocketDescriptor = 3;
constexpr char NoReaderTag = 'N';
constexpr char ErrorTag = 'E';
constexpr char InformationTag = 'I';
constexpr char DataTag = 'D';
constexpr char ReadCommand = 'R';

/** The information an ImageIO holds after ReadImageInformation, as JSON text: its class name, dimensions, spacing,
 * origin, direction, pixel and component types, number of components, and the dictionary entries of the types
 * DecodeInformation restores (text, truth values, numbers, std::vectors of them, vectors of vectors of double,
 * itk::Array<double or float>, itk::Matrix<double, 3 or 4>; other types are left out). NaN and infinities, which JSON
 * lacks, are the strings "nan", "inf" and "-inf". */
std::string
EncodeInformation(const ImageIOBase & imageIO);

/** Gives `target` the information EncodeInformation wrote (its dictionary replaced); the ImageIO class's name. Throws
 * an itk::ExceptionObject on malformed text. */
std::string
DecodeInformation(const std::string & text, ImageIOBase & target);

/** Sends one frame; false if the other end is gone. */
bool
SendFrame(int descriptor, char tag, const void * bytes, std::uint64_t byteCount);

/** Sends a frame's tag and length only; the caller sends its bytes (SendAll). */
bool
SendFrameStart(int descriptor, char tag, std::uint64_t byteCount);

/** Sends all bytes; false if the other end is gone. */
bool
SendAll(int descriptor, const void * bytes, std::uint64_t byteCount);
} // namespace readerprocess
} // namespace nibridge
} // namespace itk

#endif
