"""Reading SCORM packages: the zip (archive.py, refusing what could harm the server) and the
manifest (manifest.py). No database and no storage here; training.services.scorm composes them."""
