-- Headless Neovim test (test.lua): what the plugin reports about itself: goldcrest/status in the
-- statusline, :GoldcrestDoctor, :checkhealth goldcrest and the plugin's :help.

return function(t)
  local check, wait, buf_text, statuses = t.check, t.wait, t.buf_text, t.statuses
  local REAL, GOLDCREST, PLUGIN, tmp, goldcrest = t.REAL, t.GOLDCREST, t.PLUGIN, t.tmp, t.goldcrest

  check("goldcrest/status notifications reach the plugin", function()
    wait(10000, function() return #statuses > 0 end, "a goldcrest/status notification")
    local st = goldcrest.status
    assert(vim.tbl_contains({ "ready", "thinking", "offline", "error" }, st.state), vim.inspect(st))
    assert(goldcrest.statusline():find("^Goldcrest"), goldcrest.statusline())
  end)

  check(":GoldcrestDoctor shows the report", function()
    goldcrest.last_doctor = nil
    vim.cmd("GoldcrestDoctor")
    wait(120000, function() return goldcrest.last_doctor ~= nil end, "the doctor report")
    assert(#goldcrest.last_doctor > 2, "short report: " .. table.concat(goldcrest.last_doctor, "\n"))
    assert(vim.api.nvim_buf_get_name(0):find("goldcrest%-doctor"), "doctor buffer not shown")
    vim.cmd("close")
  end)

  check(":checkhealth goldcrest: server and version, the backend that answers, model file, features", function()
    vim.cmd("checkhealth goldcrest")
    local report = buf_text(0)
    vim.cmd("tabclose")
    local function has(text)
      assert(report:find(text, 1, true), "missing " .. text .. " in:\n" .. report)
    end
    has("found " .. vim.fn.exepath(GOLDCREST))
    assert(report:match("goldcrest %d+%.%d+"), "no version in:\n" .. report)
    has(REAL and "embedded" or "ollama")
    has("will answer")
    has("embedded model file verified")
    has("Neovim " .. vim.version().major .. "." .. vim.version().minor)
    assert(not report:find("ERROR", 1, true), "errors in:\n" .. report)
  end)

  check(":help goldcrest opens the plugin's help", function()
    local doc = tmp .. "/rtp/doc"
    vim.fn.mkdir(doc, "p")
    vim.fn.writefile(vim.fn.readfile(PLUGIN .. "/doc/goldcrest.txt"), doc .. "/goldcrest.txt")
    vim.cmd("helptags " .. vim.fn.fnameescape(doc))
    vim.opt.runtimepath:prepend(tmp .. "/rtp")
    for _, tag in ipairs({ "goldcrest", ":GoldcrestFix", "goldcrest-tier", "goldcrest-health", "goldcrest-server-path", "goldcrest-accepted" }) do
      vim.cmd("help " .. tag)
      local name, line = vim.api.nvim_buf_get_name(0), vim.api.nvim_get_current_line()
      vim.cmd("helpclose")
      assert(name:find("goldcrest%.txt$"), "help " .. tag .. " opened " .. name)
      assert(line:find("*" .. tag .. "*", 1, true), "help " .. tag .. " landed on: " .. line)
    end
  end)
end
