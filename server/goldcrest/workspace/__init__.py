"""What Goldcrest knows about the whole workspace: a symbol index built in the background,
persisted between runs, and the retrieval that feeds its facts to every task."""
