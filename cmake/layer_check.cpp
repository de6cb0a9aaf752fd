// Linked against one module library with --whole-archive and nothing but the modules below
// it: any call from a module into a higher one is an undefined symbol here, so the layering
// of docs/DESIGN.md is a link error, not a convention.
int main() {
  return 0;
}
