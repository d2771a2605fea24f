# cmake -DINPUT=<file.py> -DOUTPUT=<file.cxx> -P EmbedPythonSource.cmake
# Writes a C++ source defining itk::nibridge::build::NiBabelHelperSource: the bytes of INPUT, as hex, so that
# any content (quotes, backslashes, raw-string delimiters, non-ASCII) survives.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n  " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${name} by EmbedPythonSource.cmake: do not edit.
#include \"itkNiBridgePythonBuild.h\"

namespace itk
{
namespace nibridge
{
namespace build
{
const unsigned char NiBabelHelperSource[] = {
  ${bytes}0x00
};
const std::size_t NiBabelHelperSourceSize = ${size};
} // namespace build
} // namespace nibridge
} // namespace itk
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
