"""Analyses of a module that passes, the translation and the reports share:
FLOPs (`flops`), buffer lifetimes (`liveness`), static memory packing and
level assignment (`memory`), and the static counts of DMA bytes and RedMulE
jobs of a lowered program (`counts`)."""
