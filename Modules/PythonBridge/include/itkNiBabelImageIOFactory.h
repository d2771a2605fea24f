/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBabelImageIOFactory_h
#define itkNiBabelImageIOFactory_h

#include "NiBridgePythonExport.h"

#include "itkNiBabelImageIO.h"
#include "itkNiBridgeImageIOFactory.h"
#include "itkNiBridgeImageIOList.h"

#include <vector>

namespace itk
{
/** The factory of NiBabelImageIO, so that itk::ImageFileReader and itk::ImageFileWriter handle every format nibabel
 * reads, and write .mgh/.mgz. RegisterOneFactory() puts it in front of the factories already registered; creating
 * the factory or its IOs never starts Python. Most programs want all of NiBridge's readers, in their priority
 * order: itk::nibridge::ProvidePythonBridgeImageIOs(), then itk::nibridge::RegisterImageIOFactories().
 * \ingroup NiBridgePython
 */
using NiBabelImageIOFactory = NiBridgeImageIOFactory<NiBabelImageIO>;

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name. */
NiBridgePython_EXPORT void
NiBabelImageIOFactoryRegister__Private();

namespace nibridge
{
/** The ImageIOs of itk::nibridge::ImageIOList's PythonBridge entry: NiBabelImageIO. */
NiBridgePython_EXPORT std::vector<ProvidedImageIO>
                      PythonBridgeImageIOs();

/** Makes NiBabelImageIO available to itk::nibridge::ImageIOList (its PythonBridge entry). */
NiBridgePython_EXPORT void
ProvidePythonBridgeImageIOs();
} // namespace nibridge
} // namespace itk

#endif
