from vendors import simkit

from . import build_app, parser

simkit.run(build_app, parser())
