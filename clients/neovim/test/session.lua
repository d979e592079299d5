-- The headless Neovim test's session (test.lua): the scripted fake Ollama (or the real backend),
-- a workspace with test/sample.py, the plugin set up against the real server, the file opened.

local M = {}

--- Start everything the checks drive; adds MODEL_MS, goldcrest, statuses and bufnr to
--- `t`. False when the fake Ollama did not start (the failure is already counted).
function M.start(t)
  local tmp, REAL = t.tmp, t.REAL
  -- the counters and the acceptance log go to this run's folder, not the user's state
  local settings = { cache = { enabled = false }, log_level = "debug", spend = { database = tmp .. "/state/spend.sqlite" } }
  -- how long one model-backed command may take: the real model on 2 shared cores is slow
  t.MODEL_MS = REAL and 300000 or 90000
  if REAL then
    -- one answer per request (no best-of-N, one list-bugs sample and no corrected version, no
    -- repair round), short ones,
    -- with room for a busy machine: every action still goes through the real model and checks.
    -- Hover waits for its explanation, so that no explanation runs on behind a later command.
    settings.actions = {
      best_of = 1, bug_samples = 1, bug_rewrites = 0, repair = false, max_tokens = 256, timeout_s = 240,
      hover_budget_s = 240,
    }
    settings.completion = { timeout_s = 60, max_tokens = 48 }
    -- one llama.cpp thread: on 2 cores shared with other work, two threads wait on each other
    -- (measured: 83 prompt + 40 answer tokens in 21 s with one thread, 50-88 s with two)
    settings.embedded = { n_threads = 1 }
  end
  if not REAL then
    local url = nil
    t.fake_job = vim.fn.jobstart({
      t.PYTHON, t.REPO .. "/tests/fake_ollama.py",
      "--port", "0",
      "--rules", t.CLIENTS .. "/testing/rules.json",
      "--model", t.MODEL,
      "--log", tmp .. "/fake-ollama.jsonl",
      "--lifetime", tostring(t.TOTAL_S + 30),
    }, {
      on_stdout = function(_, data)
        for _, line in ipairs(data or {}) do
          local u = line:match("^READY (%S+)")
          if u then
            url = u
          end
        end
      end,
    })
    if not vim.wait(15000, function() return url ~= nil end, 50) then
      t.out("FAIL setup: the fake Ollama did not start")
      t.results.failed = t.results.failed + 1
      return false
    end
    settings.backend = "ollama"
    settings.ollama = { host = url, model = t.MODEL }
  end

  -- the workspace: a pyproject.toml marks the root
  vim.fn.writefile({ "[project]", 'name = "sample"' }, tmp .. "/pyproject.toml")
  vim.fn.writefile(vim.fn.readfile(t.HERE .. "/sample.py"), tmp .. "/sample.py")

  local goldcrest = require("goldcrest")
  t.goldcrest = goldcrest
  -- GOLDCREST_NEW_API=0 forces the 0.7 code path on a newer Neovim
  goldcrest.setup({ cmd = { t.GOLDCREST, "serve" }, settings = settings, use_new_api = os.getenv("GOLDCREST_NEW_API") ~= "0" and nil or false })

  t.statuses = {}
  vim.api.nvim_create_autocmd("User", {
    pattern = "GoldcrestStatus",
    callback = function()
      table.insert(t.statuses, vim.deepcopy(goldcrest.status))
    end,
  })

  vim.cmd("edit " .. vim.fn.fnameescape(tmp .. "/sample.py"))
  t.bufnr = vim.api.nvim_get_current_buf()
  return true
end

return M
