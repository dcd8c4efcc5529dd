"""`python -m vector.train`: see `vector.train.cli`."""

import sys

from vector.train.cli import main

sys.exit(main())
