#!/usr/bin/env python
from __future__ import annotations

import sys

from jaga.cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
