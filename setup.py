"""minispore: a small deep-learning framework with MindSpore's API and numba-jitted kernels."""
from setuptools import find_packages, setup

setup(
    name="minispore",
    version="0.1.0",
    description="A small deep-learning framework with MindSpore's API and numba-jitted CPU kernels",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["minispore", "minispore.*"]),
    package_data={"minispore": ["train/*.proto"]},
    python_requires=">=3.9",
    install_requires=["numpy>=1.22", "numba>=0.57", "protobuf>=4.21"],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6"],
        "torch": ["torch"],
        "plot": ["matplotlib"],
        "dist": ["mpi4py>=3.1", "mpich"],
    },
    entry_points={"console_scripts": ["minispore-ckpt=minispore.cli.commands:main"]},
)
