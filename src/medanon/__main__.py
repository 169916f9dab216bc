from medanon.cli import main

raise SystemExit(main())
