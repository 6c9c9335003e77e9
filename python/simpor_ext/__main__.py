"""``python -m simpor_ext``: the same as the ``simpor-ext`` console script."""
import sys

from .cli import main

sys.exit(main())
