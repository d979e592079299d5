-- Headless Neovim test (test.lua): the tier argument of :GoldcrestBugs/:GoldcrestFix/
-- :GoldcrestExplain on the wire, :GoldcrestRestart (the configured server comes back and
-- answers), :GoldcrestPause/:GoldcrestResume.

return function(t)
  local check, wait, find_line, close_floats = t.check, t.wait, t.find_line, t.close_floats
  local code_actions_on_mean = t.code_actions_on_mean
  local REAL, HAS_011, GOLDCREST, bufnr, goldcrest = t.REAL, t.HAS_011, t.GOLDCREST, t.bufnr, t.goldcrest

  if not REAL then
    check(":GoldcrestBugs / :GoldcrestFix / :GoldcrestExplain send the tier argument", function()
      local sent = {}
      local real_request = t.client.request
      t.client.request = function(...)
        local args = { ... }
        local method, params = args[1], args[2]
        if HAS_011 then
          method, params = args[2], args[3]
        end
        if method == "workspace/executeCommand" then
          table.insert(sent, params)
        end
        return real_request(...)
      end
      local ok, err = pcall(function()
        vim.api.nvim_win_set_cursor(0, { find_line("return total / len(values)") + 1, 4 })
        vim.cmd("GoldcrestBugs strongest")
        wait(60000, function() return goldcrest.last_bugs ~= nil end, ":GoldcrestBugs strongest to answer")
        vim.cmd("GoldcrestFix strongest")
        wait(60000, function() return goldcrest.last_fix ~= nil end, ":GoldcrestFix strongest to answer")
        vim.api.nvim_win_set_cursor(0, { find_line("def mean(values):") + 1, 5 })
        goldcrest.last_explanation = nil
        vim.cmd("GoldcrestExplain strongest")
        wait(60000, function() return goldcrest.last_explanation ~= nil end, ":GoldcrestExplain strongest to answer")
        close_floats()
        vim.cmd("GoldcrestBugs")
      end)
      t.client.request = real_request
      assert(ok, err)
      local got = {}
      for _, p in ipairs(sent) do
        table.insert(got, p.command .. "=" .. tostring(p.arguments[1].tier))
      end
      assert(
        table.concat(got, " ") == "goldcrest.listBugs=strongest goldcrest.fix=strongest goldcrest.explain=strongest goldcrest.listBugs=nil",
        "sent: " .. table.concat(got, " ")
      )
    end)
  end

  check(":GoldcrestRestart starts the configured server again and it answers", function()
    local old_id = t.client.id
    vim.cmd("GoldcrestRestart")
    wait(60000, function()
      local c = goldcrest.client(bufnr)
      return c ~= nil and c.id ~= old_id and c.server_capabilities ~= nil and next(c.server_capabilities) ~= nil
    end, "a new goldcrest client after the restart")
    t.client = goldcrest.client(bufnr)
    assert(t.client.config.cmd[1] == vim.fn.exepath(GOLDCREST), "restarted " .. vim.inspect(t.client.config.cmd))
    assert(#code_actions_on_mean(60000) > 0, "no code actions from the restarted server")
  end)

  check(":GoldcrestPause sends completion.enabled = false", function()
    vim.cmd("GoldcrestPause")
    assert(goldcrest.config.settings.completion.enabled == false)
    assert(goldcrest.statusline():find("paused", 1, true), goldcrest.statusline())
    vim.cmd("GoldcrestResume")
    assert(goldcrest.config.settings.completion.enabled == true)
  end)
end
