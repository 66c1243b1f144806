// Text that came from a customer, a store or a merchant: its direction is its own (Arabic and
// Hebrew names sit correctly inside English UI), and long words wrap instead of widening the
// layout. React escapes it, so markup in a name stays text.
export function UserText({ children, className }: { children: string | null | undefined; className?: string }) {
  return (
    <span dir="auto" className={className ? `user-text ${className}` : "user-text"}>
      {children ?? "—"}
    </span>
  );
}
