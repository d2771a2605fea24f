"""NiBridgeLoader: 3D Slicer loads and saves the neuroimaging formats that only nibabel reads.

Slicer's scripted-module parts: the module (NiBridgeLoader), its panel (NiBridgeLoaderWidget), a thin logic
(NiBridgeLoaderLogic) over NiBridgeLoaderLib.logic, where all the work is done without Qt, a file reader for "Add
data" (NiBridgeLoaderFileReader: Slicer finds a class named <module>FileReader by that name) and a self-test
(NiBridgeLoaderTest). Qt, ctk and Slicer's scripted-module classes exist only in Slicer's application: they are
imported where they are used, and outside the application (the logic's tests run with slicer-core, whose ``slicer``
package has the MRML classes and no Qt) this file imports all the same, with plain base classes (the self-test's a
unittest.TestCase, as Slicer's is, so that the tests run it on slicer-core's scene too).
"""

import logging
import os
import unittest

import numpy as np
import slicer
from vtkmodules.vtkCommonCore import vtkCommand

try:
    from slicer.ScriptedLoadableModule import (
        ScriptedLoadableModule,
        ScriptedLoadableModuleLogic,
        ScriptedLoadableModuleTest,
        ScriptedLoadableModuleWidget,
    )
except ImportError:  # outside Slicer's application (slicer-core has no Qt side)
    ScriptedLoadableModule = ScriptedLoadableModuleLogic = ScriptedLoadableModuleWidget = object

    class ScriptedLoadableModuleTest(unittest.TestCase):
        """What the self-test takes from Slicer's class of that name (a unittest.TestCase), so that it runs outside."""

        def delayDisplay(self, message, msec=None):
            logging.info(message)


from NiBridgeLoaderLib import logic as loaderlogic

# What "Add data" offers this reader for (Qt matches the patterns as written: both cases of the upper-case habits).
NAME_FILTERS = [
    "NiBridge volume (*.mgz *.mgh *.mnc *.nii *.nii.gz *.hdr *.img *.PAR *.par *.REC *.rec "
    "*.HEAD *.BRIK *.BRIK.gz *.v)",
]


class NiBridgeLoader(ScriptedLoadableModule):
    """The module's description for Slicer's module list."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "NiBridge Loader"
        self.parent.categories = ["Informatics"]
        self.parent.dependencies = ["Volumes", "Sequences"]
        self.parent.contributors = ["NiBridge contributors"]
        self.parent.helpText = """
Loads MGH/MGZ, MINC1/2, PAR/REC, AFNI, ECAT and NIfTI-2 files into volume nodes with nibabel's geometry, and saves
volume nodes to .mgz/.mgh or NIfTI-2. 4-D files become sequences, or only the frames you pick. With NiBridge's ITK
plugin in the process, Slicer's own reader reads them through it; without it, nibabel does (same result).
NIfTI-1 and Analyze files stay with Slicer's own reader.
"""
        self.parent.acknowledgementText = """
NiBridge reads through nibabel (https://nipy.org/nibabel). See Documentation/Slicer.md in NiBridge's repository.
"""


def _nibabel_missing():
    try:
        import nibabel  # noqa: F401, PLC0415 (installed into Slicer's Python on demand)
    except ImportError:
        return True
    return False


class NiBridgeLoaderWidget(ScriptedLoadableModuleWidget):
    """The panel: a file and its frames to load, a volume node and a file to save it to."""

    def setup(self):
        import ctk  # noqa: PLC0415 (Qt side: Slicer's application only)
        import qt  # noqa: PLC0415

        ScriptedLoadableModuleWidget.setup(self)
        self._setupLoad(ctk, qt)
        self._setupSave(ctk, qt)
        self.installButton = qt.QPushButton("Install nibabel into Slicer's Python")
        self.installButton.visible = _nibabel_missing()
        self.layout.addWidget(self.installButton)
        self.status = qt.QLabel()
        self.status.wordWrap = True
        self.layout.addWidget(self.status)
        self.layout.addStretch(1)

        self.logic = NiBridgeLoaderLogic()
        self.loadButton.connect("clicked(bool)", self.onLoad)
        self.saveButton.connect("clicked(bool)", self.onSave)
        self.installButton.connect("clicked(bool)", self.onInstall)

    def _section(self, ctk, qt, title):
        """A collapsible section of the panel, and its form layout."""
        box = ctk.ctkCollapsibleButton()
        box.text = title
        self.layout.addWidget(box)
        return qt.QFormLayout(box)

    def _setupLoad(self, ctk, qt):
        form = self._section(ctk, qt, "Load")
        self.inputPath = ctk.ctkPathLineEdit()
        self.inputPath.filters = ctk.ctkPathLineEdit.Files
        self.inputPath.nameFilters = NAME_FILTERS
        self.inputPath.settingKey = "NiBridgeLoader/InputPath"
        form.addRow("File:", self.inputPath)
        self.framesEdit = qt.QLineEdit()
        self.framesEdit.placeholderText = "all (a 4-D file becomes a sequence); or e.g. 0, 2"
        self.framesEdit.toolTip = "Frame numbers of a 4-D file to load, each as its own volume"
        form.addRow("Frames:", self.framesEdit)
        self.loadButton = qt.QPushButton("Load")
        form.addRow(self.loadButton)

    def _setupSave(self, ctk, qt):
        form = self._section(ctk, qt, "Save")
        self.volumeSelector = slicer.qMRMLNodeComboBox()
        self.volumeSelector.nodeTypes = ["vtkMRMLScalarVolumeNode", "vtkMRMLVectorVolumeNode"]
        self.volumeSelector.noneEnabled = False
        self.volumeSelector.addEnabled = False
        self.volumeSelector.removeEnabled = False
        self.volumeSelector.setMRMLScene(slicer.mrmlScene)
        form.addRow("Volume:", self.volumeSelector)
        self.outputPath = ctk.ctkPathLineEdit()
        self.outputPath.filters = ctk.ctkPathLineEdit.Files | ctk.ctkPathLineEdit.Writable
        self.outputPath.nameFilters = ["MGH (*.mgz *.mgh)", "NIfTI-2 (*.nii.gz *.nii)"]
        form.addRow("File:", self.outputPath)
        self.overwriteCheck = qt.QCheckBox("Replace an existing file")
        self.lossyCheck = qt.QCheckBox("Round to float32 where MGH cannot hold the values")
        form.addRow(self.overwriteCheck)
        form.addRow(self.lossyCheck)
        self.saveButton = qt.QPushButton("Save")
        form.addRow(self.saveButton)

    def onInstall(self):
        with slicer.util.tryWithErrorDisplay("Installing nibabel failed.", waitCursor=True):
            slicer.util.pip_install("nibabel h5py")
            self.installButton.visible = _nibabel_missing()

    def onLoad(self):
        text = self.framesEdit.text.strip()
        frames = [int(part) for part in text.replace(",", " ").split()] if text else None
        with slicer.util.tryWithErrorDisplay("Loading failed.", waitCursor=True):
            result = self.logic.load(self.inputPath.currentPath, frames=frames)
            self.status.text = f"Loaded {os.path.basename(result.path)} ({result.kind}, read by {result.reader})."
            if result.node is not None and result.node.IsA("vtkMRMLVolumeNode"):
                slicer.util.setSliceViewerLayers(background=result.node, fit=True)
            if result.warnings:
                slicer.util.warningDisplay("\n\n".join(result.warnings), windowTitle="NiBridge Loader")

    def onSave(self):
        with slicer.util.tryWithErrorDisplay("Saving failed.", waitCursor=True):
            path = self.logic.save(
                self.volumeSelector.currentNode(),
                self.outputPath.currentPath,
                overwrite=self.overwriteCheck.checked,
                allow_lossy_cast=self.lossyCheck.checked,
            )
            self.status.text = f"Saved {path}."


class NiBridgeLoaderLogic(ScriptedLoadableModuleLogic):
    """NiBridgeLoaderLib.logic on Slicer's scene: see that module for the rules (geometry, values, layouts)."""

    def load(self, path, frames=None, name=None):
        return loaderlogic.load_volume(path, slicer.mrmlScene, frames=frames, name=name)

    def save(self, node, path, overwrite=False, allow_lossy_cast=False):
        return loaderlogic.save_volume(node, path, overwrite=overwrite, allow_lossy_cast=allow_lossy_cast)


class NiBridgeLoaderFileReader:
    """The reader "Add data" and slicer.util.loadNodeFromFile use for nibabel's formats.

    It bids ``reader_confidence(path)``: more than Slicer's own volume reader for NIfTI-2, MGH/MGZ, MINC, PAR/REC,
    AFNI and ECAT files, nothing for NIfTI-1 and Analyze files, which Slicer's reader keeps.
    """

    def __init__(self, parent):
        self.parent = parent

    def description(self):
        return "NiBridge volume"

    def fileType(self):
        return "NiBridgeVolumeFile"

    def extensions(self):
        return list(NAME_FILTERS)

    def canLoadFileConfidence(self, filePath):
        return loaderlogic.reader_confidence(filePath)

    def load(self, properties):
        path = properties["fileName"]
        try:
            result = loaderlogic.load_volume(path, slicer.mrmlScene, name=properties.get("name"))
        except (loaderlogic.LoadError, ImportError) as error:
            logging.error(str(error))
            self.parent.userMessages().AddMessage(vtkCommand.ErrorEvent, str(error))
            return False
        for warning in result.warnings:
            self.parent.userMessages().AddMessage(vtkCommand.WarningEvent, f"{path}: {warning}")
        self.parent.loadedNodes = [node.GetID() for node in result.nodes]
        return True


class NiBridgeLoaderTest(ScriptedLoadableModuleTest):
    """Run in Slicer (Reload and Test, or Slicer's CTest): loads and saves generated files on Slicer's scene."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_LoadsAnObliqueMGZWithNibabelsGeometry()
        self.setUp()
        self.test_SavesAndReloadsNIfTI2()
        self.setUp()
        self.test_FileReaderLeavesNIfTI1ToSlicer()

    def _folder(self):
        folder = os.path.join(slicer.app.temporaryPath, "NiBridgeLoaderTest")
        os.makedirs(folder, exist_ok=True)
        return folder

    def _oblique(self, path):
        import nibabel  # noqa: PLC0415 (the module's dependency, installed on demand)

        angle = np.deg2rad(20.0)
        affine = np.eye(4)
        affine[:3, :3] = [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
        affine[:3, :3] = affine[:3, :3] @ np.diag([2.0, 2.5, 3.0])
        affine[:3, 3] = [-20.0, 15.0, 8.0]
        voxels = np.arange(7 * 6 * 5, dtype=np.float32).reshape(7, 6, 5)
        nibabel.save(nibabel.MGHImage(voxels, affine), path)
        return voxels, affine

    def test_LoadsAnObliqueMGZWithNibabelsGeometry(self):
        self.delayDisplay("Loading an oblique .mgz")
        path = os.path.join(self._folder(), "oblique.mgz")
        voxels, affine = self._oblique(path)
        node = NiBridgeLoaderLogic().load(path).node
        # slicer.util.arrayFromVolume is (k, j, i); nibabel's is (i, j, k)
        np.testing.assert_array_equal(slicer.util.arrayFromVolume(node).transpose(2, 1, 0), voxels)
        np.testing.assert_allclose(loaderlogic.ijk_to_ras_from_node(node), affine, atol=1e-9)
        self.delayDisplay("Test passed")

    def test_SavesAndReloadsNIfTI2(self):
        import nibabel  # noqa: PLC0415 (the module's dependency, installed on demand)

        self.delayDisplay("Saving to NIfTI-2 and reloading")
        folder = self._folder()
        voxels, affine = self._oblique(os.path.join(folder, "source.mgz"))
        node = NiBridgeLoaderLogic().load(os.path.join(folder, "source.mgz")).node
        output = NiBridgeLoaderLogic().save(node, os.path.join(folder, "saved.nii.gz"), overwrite=True)
        saved = nibabel.load(output)
        self.assertIsInstance(saved, nibabel.Nifti2Image)
        np.testing.assert_array_equal(np.asarray(saved.dataobj), voxels)
        np.testing.assert_allclose(saved.affine, affine, atol=1e-9)
        self.delayDisplay("Test passed")

    def test_FileReaderLeavesNIfTI1ToSlicer(self):
        import nibabel  # noqa: PLC0415 (the module's dependency, installed on demand)

        folder = self._folder()
        voxels = np.zeros((4, 4, 4), dtype=np.int16)
        nibabel.save(nibabel.Nifti1Image(voxels, np.eye(4)), os.path.join(folder, "one.nii.gz"))
        nibabel.save(nibabel.Nifti2Image(voxels, np.eye(4)), os.path.join(folder, "two.nii.gz"))
        reader = NiBridgeLoaderFileReader(None)
        self.assertEqual(reader.canLoadFileConfidence(os.path.join(folder, "one.nii.gz")), 0.0)
        self.assertGreater(reader.canLoadFileConfidence(os.path.join(folder, "two.nii.gz")), 0.57)
        self.delayDisplay("Test passed")
