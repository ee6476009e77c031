from .cli import main

# Guarded: the dev server's build worker (spawned) imports this module again.
if __name__ == "__main__":
    raise SystemExit(main())
