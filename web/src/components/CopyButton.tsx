// Copies a value to the clipboard and says so.
import { useState } from "react";

export function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      className="small"
      onClick={async () => {
        // The clipboard is refused outside secure contexts; the value stays selectable then.
        try {
          await navigator.clipboard.writeText(text);
          setState("copied");
        } catch {
          setState("failed");
        }
      }}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select it" : "Copy"}
    </button>
  );
}
