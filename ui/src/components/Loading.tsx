// What a screen shows before its data arrive: a status line, or the error
// that kept them from arriving.
export function Loading({ error, label }: { error: string | null; label: string }) {
  return (
    <section className="screen" aria-busy={!error}>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : (
        <p role="status">{label}</p>
      )}
    </section>
  );
}
