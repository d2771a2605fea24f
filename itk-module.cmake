# The module's declaration for a build inside ITK's own tree.
# The description is the README's first paragraph after the title.
get_filename_component(NiBridge_MODULE_DIR "${CMAKE_CURRENT_LIST_FILE}" PATH)
file(READ "${NiBridge_MODULE_DIR}/README.md" NiBridge_README)
string(REGEX MATCH "\n\n([^\n]+)" NiBridge_DESCRIPTION_MATCH "${NiBridge_README}")
set(DOCUMENTATION "${CMAKE_MATCH_1}")

itk_module(NiBridge
  DEPENDS
    ITKCommon
    ITKIOImageBase
  PRIVATE_DEPENDS
    # ITK's ImageIO modules, the last entry of NiBridge's list: NiBridge_ITK_IO_MODULES of the root CMakeLists.txt.
    ITKIOBMP ITKIOBioRad ITKIOBruker ITKIOGDCM ITKIOGE ITKIOGIPL ITKIOHDF5 ITKIOIPL
    ITKIOJPEG ITKIOJPEG2000 ITKIOLSM ITKIOMINC ITKIOMRC ITKIOMeta ITKIONIFTI ITKIONRRD
    ITKIOPNG ITKIOSiemens ITKIOStimulate ITKIOTIFF ITKIOVTK
  TEST_DEPENDS
    ITKTestKernel
    ITKGoogleTest
  FACTORY_NAMES
    # NiBridge's ImageIOs, in the priority order of itk::nibridge::ImageIOList (a test checks they agree).
    ImageIO::NiBridgeGuard
    ImageIO::NiBridgeNifti
    ImageIO::NiBridgeMGH
    ImageIO::NumPy
    ImageIO::NiBabel
    ImageIO::NiBridgeIsolated
  DESCRIPTION
    "${DOCUMENTATION}"
  EXCLUDE_FROM_DEFAULT
  ENABLE_SHARED
)
