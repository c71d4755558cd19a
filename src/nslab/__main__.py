from nslab.tui.cli import main

main()
