import sys

from sbn.cli import main

sys.exit(main())
