// The first screen: what is set up and what is left, each step linking to where it is done.
import { Link } from "react-router";
import type { Integration, Source, Template, WhatsAppAccount } from "../api/types";
import { useApi } from "../api/useApi";
import { useSession } from "../auth/session";
import { UserText } from "../components/UserText";

interface Step {
  title: string;
  done: boolean | null;
  detail: string;
  to: string;
}

export function OnboardingPage() {
  const { session } = useSession();
  const integrations = useApi<Integration[]>("/api/v1/integrations");
  const whatsapp = useApi<WhatsAppAccount>("/api/v1/whatsapp-account");
  const templates = useApi<Template[]>("/api/v1/templates");
  const sources = useApi<Source[]>("/api/v1/knowledge/sources");

  const steps: Step[] = [
    {
      title: "Connect your store",
      done: integrations.data ? integrations.data.length > 0 : null,
      detail: "Shopify webhooks, a CSV of orders, or the events API.",
      to: "/integrations",
    },
    {
      title: "Connect WhatsApp",
      done: whatsapp.data ? whatsapp.data.mode === "meta" : null,
      detail:
        whatsapp.data?.mode === "sandbox"
          ? "Running on the sandbox: messages are recorded, not sent. Try it with the phone simulator."
          : "Your Meta Cloud API number.",
      to: "/whatsapp",
    },
    {
      title: "Write your message templates",
      done: templates.data ? templates.data.length > 0 : null,
      detail: "The check-in and follow-up messages, and when they go.",
      to: "/templates",
    },
    {
      title: "Teach the assistant your products",
      done: sources.data ? sources.data.length > 0 : null,
      detail: "FAQ, documents and products the bot answers from.",
      to: "/knowledge",
    },
  ];
  const doneCount = steps.filter((s) => s.done).length;

  return (
    <section>
      <h1>
        Welcome, <UserText>{session?.merchant.name}</UserText>
      </h1>
      <p>
        {doneCount} of {steps.length} steps done.
      </p>
      <ol className="checklist" aria-label="Onboarding checklist">
        {steps.map((s) => (
          <li key={s.to} className={s.done ? "done" : "todo"}>
            <span className="check" aria-hidden="true">
              {s.done ? "✓" : "○"}
            </span>
            <div>
              <Link to={s.to}>{s.title}</Link>
              <span className="visually-hidden">{s.done ? " (done)" : s.done === false ? " (to do)" : ""}</span>
              <p className="muted">{s.detail}</p>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
