/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeErrorText_h
#define itkNiBridgeErrorText_h

#include "NiBridgeCoreExport.h"

#include <string>

namespace itk
{
namespace nibridge
{
/** The reason an ITK exception's description gives, in one line: its lines joined by spaces, without ITK's
 * "ITK ERROR: " and "<Class>(0x...): " prefixes; a Python traceback (NiBabelImageIO's) left out unless
 * `withTraceback`. What every NiBridge caller (ni2npy, nibridge.imread, ...) reports. */
NiBridgeCore_EXPORT std::string
                    OneLineReason(const std::string & description, bool withTraceback = false);

/** `text` in double quotes, as messages name files: "\"<text>\"". */
NiBridgeCore_EXPORT std::string
                    Quoted(const std::string & text);

/** "\"<fileName>\": <reason>", naming the file once: the reason as it is when it names the file already
 * (NiBridge's readers name theirs). */
NiBridgeCore_EXPORT std::string
                    NamingTheFile(const std::string & fileName, const std::string & reason);

} // namespace nibridge
} // namespace itk

#endif
