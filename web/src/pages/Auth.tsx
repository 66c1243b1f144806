// Log in and sign up. Both answer a session; the CSRF token in it signs every later write.
import { Link, useNavigate } from "react-router";
import { api } from "../api/client";
import type { Session } from "../api/types";
import { useSession } from "../auth/session";
import { Field, Form, optional, required } from "../components/Form";

export function LoginPage() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  return (
    <main className="auth">
      <h1>Log in to Revive</h1>
      <Form
        label="Log in"
        submitLabel="Log in"
        onSubmit={async (d) => {
          const s = await api.post<Session>("/api/v1/auth/login", {
            email: required(d, "email"),
            password: required(d, "password"),
          });
          signedIn(s);
          navigate("/");
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      </Form>
      <p>
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </main>
  );
}

export function SignupPage() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  return (
    <main className="auth">
      <h1>Create your Revive account</h1>
      <Form
        label="Sign up"
        submitLabel="Sign up"
        onSubmit={async (d) => {
          const s = await api.post<Session>("/api/v1/auth/signup", {
            merchant_name: required(d, "merchant_name"),
            email: required(d, "email"),
            password: required(d, "password"),
            display_name: optional(d, "display_name"),
          });
          signedIn(s);
          navigate("/");
        }}
      >
        <Field label="Store name" name="merchant_name" required maxLength={200} />
        <Field label="Your name" name="display_name" maxLength={100} />
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
          hint="At least 10 characters."
        />
      </Form>
      <p>
        Have an account? <Link to="/login">Log in</Link>
      </p>
    </main>
  );
}
