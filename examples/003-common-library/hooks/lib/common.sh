# Shared helpers; the lib directory is skipped by hook discovery.
common::greet() {
  echo "common library says: hello from $1"
}
