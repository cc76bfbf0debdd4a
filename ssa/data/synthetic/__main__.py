"""``python -m ssa.data.synthetic --preview samples.png``: a page of cases for review."""

from ssa.data.synthetic.preview import main

raise SystemExit(main())
