"""Importers: meshes (glTF/GLB, OBJ, PLY, STL via trimesh), scans and point clouds (PLY, PCD, XYZ via
open3d) and 3D Gaussian-splat PLY. `import_file` picks one by extension and, for PLY, by header.
"""

from bridge.world.importers.dispatch import import_file

__all__ = ["import_file"]
