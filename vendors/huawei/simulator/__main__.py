"""``python -m vendors.huawei.simulator --port 0 --plants N --accounts K --speed X --seed S``."""

from vendors import simkit

from .app import build_from_args, parser

if __name__ == "__main__":
    simkit.run(build_from_args, parser())
