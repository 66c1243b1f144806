// The signed-in frame: navigation, who is logged in, whether live updates are flowing.
import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useCan, useSession } from "../auth/session";
import { useLiveStatus } from "../live/live";
import { UserText } from "./UserText";

const LIVE_LABEL = { open: "Live", connecting: "Reconnecting…", down: "Live updates unavailable" } as const;

export function Layout() {
  const { session, signOut } = useSession();
  const admin = useCan("admin");
  const live = useLiveStatus();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const links: [string, string][] = [
    ["/", "Get started"],
    ["/inbox", "Inbox"],
    ["/simulator", "Phone simulator"],
    ["/customers", "Customers"],
    ["/scheduled", "Scheduled messages"],
    ["/analytics", "Analytics"],
    ["/knowledge", "Knowledge"],
    ["/templates", "Templates & timing"],
    ["/integrations", "Integrations"],
    ["/whatsapp", "WhatsApp"],
    ["/team", "Team"],
    // The audit log is owner/admin only on the server.
    ...(admin ? ([["/activity", "Activity"]] as [string, string][]) : []),
  ];
  return (
    <div className="shell">
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <strong className="brand">Revive</strong>
        <UserText className="merchant-name">{session?.merchant.name}</UserText>
        <span className={`live live-${live}`} role="status" data-testid="live-status">
          {LIVE_LABEL[live]}
        </span>
        <span className="who">
          <UserText>{session?.user.email}</UserText> <span className="role">{session?.user.role}</span>
        </span>
        <button type="button" onClick={signOut}>
          Log out
        </button>
      </header>
      <nav id="main-nav" className={menuOpen ? "nav open" : "nav"} aria-label="Main">
        <ul>
          {links.map(([to, label]) => (
            <li key={to}>
              <NavLink to={to} end={to === "/"} onClick={() => setMenuOpen(false)}>
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" key={location.pathname.split("/")[1]}>
        <Outlet />
      </main>
    </div>
  );
}
